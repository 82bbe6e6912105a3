// The `kafka` probe kind: one instance per cluster (config targets and VIGIL_KAFKA_BROKERS).
import { defineProbeKind } from '../kind.ts';
import { kafkaSchema, resolveKafka, type KafkaOptions, type KafkaSection } from './config.ts';
import { KAFKA } from './metadata.ts';
import { KafkaProbe } from './probe.ts';

export const kafkaKind = defineProbeKind<KafkaSection, KafkaOptions>({
  ...KAFKA,
  schema: kafkaSchema,
  resolve: resolveKafka(),
  create: (settings, ctx) => new KafkaProbe(settings, ctx),
});

export type { KafkaOptions } from './config.ts';
export { KafkaProbe } from './probe.ts';

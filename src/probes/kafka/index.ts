// The `kafka` probe kind: one instance per cluster (config targets and VIGIL_KAFKA_BROKERS).
import { defineProbeKind } from '../kind.ts';
import { kafkaSchema, resolveKafka, type KafkaOptions, type KafkaSection } from './config.ts';
import { KafkaProbe } from './probe.ts';

export const kafkaKind = defineProbeKind<KafkaSection, KafkaOptions>({
  key: 'kafka',
  description: 'Kafka clusters: brokers, controller, partition health, and consumer group lag in messages and seconds with Burrow-style status',
  schema: kafkaSchema,
  resolve: resolveKafka(),
  create: (settings, ctx) => new KafkaProbe(settings, ctx),
});

export type { KafkaOptions } from './config.ts';
export { KafkaProbe } from './probe.ts';

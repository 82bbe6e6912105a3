// The `kafka` probe kind: one instance per cluster (config targets and VIGIL_KAFKA_BROKERS).
import { defineProbeKind } from '../kind.ts';
import type { KafkaOptions, KafkaSection } from './config.ts';
import { KAFKA } from './metadata.ts';
import { KafkaProbe } from './probe.ts';

export const kafkaKind = defineProbeKind<KafkaSection, KafkaOptions>({
  ...KAFKA,
  config: async () => (await import('./config.ts')).kafkaConfig,
  create: (settings, ctx) => new KafkaProbe(settings, ctx),
});

export type { KafkaOptions } from './config.ts';
export { KafkaProbe } from './probe.ts';

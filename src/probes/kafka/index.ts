// The `kafka` probe kind: one instance per cluster (config targets and VIGIL_KAFKA_BROKERS).
import { defineProbeKind, lazyProbe } from '../kind.ts';
import type { KafkaOptions, KafkaSection } from './config.ts';
import { KAFKA } from './metadata.ts';

export const kafkaKind = defineProbeKind<KafkaSection, KafkaOptions>({
  ...KAFKA,
  config: async () => (await import('./config.ts')).kafkaConfig,
  create: lazyProbe(KAFKA, async () => (await import('./probe.ts')).KafkaProbe),
});

export type { KafkaOptions } from './config.ts';

// The `probes.kafka` section: clusters (targets), how to reach them, which consumer groups to
// watch and the lag / status thresholds.
//
//   probes:
//     kafka:
//       targets:
//         - name: events
//           brokers: [kafka-0:9092, kafka-1:9092]
//           sasl: {mechanism: scram-sha-512, username: vigil, password: secret}
//           tls: {ca_file: /etc/kafka/ca.pem}
//
// VIGIL_KAFKA_BROKERS=kafka-0:9092,kafka-1:9092 is ONE cluster (what every Kafka tool means by a
// comma-separated bootstrap list), named after its first broker; `;` separates clusters.
import { z } from 'zod';
import { duration, positiveInt } from '../../config/common.ts';
import { parseDuration } from '../../config/duration.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import { BROKERS_ENV, KAFKA, lagMessagesCheck, lagSecondsCheck, PER_PARTITION_AUTO_MAX } from './metadata.ts';
import type { KafkaConnection } from './secrets.ts';

export { PER_PARTITION_AUTO_MAX } from './metadata.ts';
export { readConnectionSecrets, type KafkaConnection, type KafkaSecrets } from './secrets.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { passwordFields } from '../../config/secrets.ts';
import { DEFAULT_TLS, resolveTls, tlsBlock, type TlsSettings } from '../../config/tls.ts';
import type { ProbeSection, ReportProblem } from '../kind.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';
import { reason } from '../../text.ts';
import type { KindConfig } from '../kind.ts';

export const ENV_VAR = BROKERS_ENV;

/** Groups whose name starts with `_` are internal (Confluent's, Kafka Streams' internal…). */
export const DEFAULT_GROUPS_EXCLUDE = '^_';

const regex = z.string({ error: 'must be a regular expression' }).superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `must be a regular expression: ${reason(err)}` });
  }
});

const broker = z.string({ error: 'must be host:port' }).regex(/^[^\s:,;]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, { error: 'must be host:port' });

const sasl = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { error: 'must be plain, scram-sha-256 or scram-sha-512' }),
    username: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    ...passwordFields,
    password_env: z.string({ error: 'must be an environment variable name' }).optional().describe('Environment variable holding the password'),
  })
  .describe('SASL authentication; exactly one of password, password_file, password_env');

// The block turns TLS on; `true` is short for an empty block (system CAs, verified).
const tls = z
  .union([z.boolean(), tlsBlock], { error: 'must be true, false or a TLS block (ca_file, cert_file, key_file, server_name, insecure_skip_verify)' })
  .describe('TLS to the brokers: true for the system CAs, or the TLS block (ca_file, cert_file, key_file, server_name, insecure_skip_verify)');

/** Options a target may set and the section may set for all its targets. */
const sharedOptions = {
  client_id: z.string({ error: 'must be a string' }).min(1).optional().describe('Kafka client.id (default vigil)'),
  groups_include: regex.optional().describe('Only consumer groups matching this regex are watched (default: all)'),
  groups_exclude: regex.optional().describe('Consumer groups matching this regex are skipped (default ^_ : internal groups)'),
  per_partition_metrics: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe(
      `Per-partition lag and offset series. Default: on while the watched consumer groups' partitions number ${PER_PARTITION_AUTO_MAX} or fewer, off above (group-level series stay); true or false forces it`,
    ),
  lag_seconds_thresholds: ladderField(lagSecondsCheck),
  lag_messages_thresholds: ladderField(lagMessagesCheck),
  expiry_thresholds: ladderField(tlsExpiry),
  status_window: positiveInt.optional().describe('Samples (probe runs) in the consumer status window (default 10, as Burrow)'),
  lag_history: duration.optional().describe('How far back log-end offsets are kept to estimate lag in seconds (default 1h)'),
  metadata_max_age: duration.optional().describe('Cluster metadata is re-read after this long, and after errors (default 5m)'),
};

export const kafkaTarget = z.strictObject({
  ...targetFields,
  brokers: z
    .array(broker, { error: 'must be a list of host:port' })
    .min(1, { error: 'must list at least one broker' })
    .describe('Bootstrap brokers of the cluster'),
  sasl: sasl.optional(),
  tls: tls.optional(),
  ...sharedOptions,
});

export const kafkaSchema = targetsSection(kafkaTarget, sharedOptions) as unknown as z.ZodType<
  z.infer<ReturnType<typeof targetsSection<typeof kafkaTarget>>> & SharedOptions
>;

export type KafkaTarget = z.infer<typeof kafkaTarget>;
/** targetsSection() types its extra keys loosely; these are the section-wide option keys. */
const sharedShape = z.object(sharedOptions);
type SharedOptions = z.infer<typeof sharedShape>;
export type KafkaSection = z.infer<typeof kafkaSchema> & SharedOptions;

/** What the client needs to reach a cluster. Secrets in files stay in their files until connect. */

export interface KafkaOptions {
  /** The target's name: the `cluster` label and the check component prefix. */
  readonly cluster: string;
  readonly connection: KafkaConnection;
  readonly groupsInclude: RegExp | null;
  readonly groupsExclude: RegExp | null;
  /** 'auto' (unset): on while the watched group partitions are at most PER_PARTITION_AUTO_MAX. */
  readonly perPartitionMetrics: boolean | 'auto';
  readonly lagSecondsThresholds: Thresholds;
  readonly lagMessagesThresholds: Thresholds;
  /** tls:expiry of each broker's certificate chain, when the connection uses TLS. */
  readonly expiryThresholds: Thresholds;
  readonly statusWindow: number;
  readonly lagHistoryMs: number;
  readonly metadataMaxAgeMs: number;
}

function resolveSasl(target: KafkaTarget, env: NodeJS.ProcessEnv, report: ReportProblem): KafkaConnection['sasl'] {
  const s = target.sasl;
  if (!s) return undefined;
  const given = [s.password, s.password_file, s.password_env].filter((v) => v !== undefined).length;
  if (given !== 1) {
    report('sasl', 'set exactly one of password, password_file, password_env');
    return undefined;
  }
  if (s.password_file !== undefined) return { mechanism: s.mechanism, username: s.username, passwordFile: s.password_file };
  let password = s.password;
  if (s.password_env !== undefined) {
    password = env[s.password_env];
    if (password === undefined) report('sasl.password_env', `${s.password_env} is not set`);
  }
  return password === undefined ? undefined : { mechanism: s.mechanism, username: s.username, password };
}

/** Kafka's block is already the shared shape: it has no former keys to map. */
function resolveKafkaTls(target: KafkaTarget, report: ReportProblem): TlsSettings | null {
  const t = target.tls;
  if (t === undefined || t === false) return null;
  if (t === true) return DEFAULT_TLS;
  return resolveTls(t, [], report, () => undefined) ?? DEFAULT_TLS;
}

export function resolveKafkaOptions(name: string, target: KafkaTarget, section: KafkaSection, env: NodeJS.ProcessEnv, report: ReportProblem): KafkaOptions {
  const pick = <K extends keyof typeof sharedOptions>(key: K) => target[key] ?? section[key];
  const include = pick('groups_include');
  const exclude = pick('groups_exclude') ?? DEFAULT_GROUPS_EXCLUDE;
  target.brokers.forEach((b, i) => {
    // Not echoed: a mistyped item may be a URL with credentials (user:pw@host).
    if (!broker.safeParse(b).success) report(`brokers.${i}`, 'must be host:port');
  });
  return Object.freeze({
    cluster: name,
    connection: Object.freeze({
      brokers: Object.freeze([...target.brokers]),
      clientId: pick('client_id') ?? 'vigil',
      tls: resolveKafkaTls(target, report),
      sasl: Object.freeze(resolveSasl(target, env, report)),
    }),
    groupsInclude: include !== undefined ? new RegExp(include) : null,
    groupsExclude: exclude !== '' ? new RegExp(exclude) : null,
    perPartitionMetrics: pick('per_partition_metrics') ?? 'auto',
    lagSecondsThresholds: resolveLadder(lagSecondsCheck, pick('lag_seconds_thresholds')),
    lagMessagesThresholds: resolveLadder(lagMessagesCheck, pick('lag_messages_thresholds')),
    expiryThresholds: resolveLadder(tlsExpiry, pick('expiry_thresholds')),
    statusWindow: pick('status_window') ?? 10,
    lagHistoryMs: parseDuration(pick('lag_history') ?? '1h') as number,
    metadataMaxAgeMs: parseDuration(pick('metadata_max_age') ?? '5m') as number,
  });
}

/** resolve() of the kind: config targets, then VIGIL_KAFKA_BROKERS (`;` between clusters). */
export function resolveKafka(): ProbeSection<KafkaSection, KafkaOptions>['resolve'] {
  return (input, report) => {
    // targetInstances splits its env list on commas; a cluster's brokers are joined by commas,
    // so clusters are re-joined with commas and their brokers with spaces before it splits.
    const raw = input.env[ENV_VAR];
    const clusters =
      raw === undefined
        ? undefined
        : raw
            .split(';')
            .map((c) =>
              c
                .split(',')
                .map((b) => b.trim())
                .filter(Boolean)
                .join(' '),
            )
            .filter(Boolean)
            .join(',');
    const resolveTargets = targetInstances<KafkaSection, KafkaTarget, KafkaOptions>({
      key: KAFKA.key,
      envVar: ENV_VAR,
      fromEnv: (item) => ({ brokers: item.split(' ') }),
      defaultName: (target) => target.brokers[0],
      options: (target, section, _schedule, problem) => resolveKafkaOptions(target.name ?? target.brokers[0] ?? 'kafka', target, section, input.env, problem),
    });
    return resolveTargets({ ...input, env: { ...input.env, [ENV_VAR]: clusters } }, (path, message) => {
      report(path, message);
    });
  };
}

/** The `probes.kafka` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const kafkaConfig: KindConfig<KafkaSection, KafkaOptions> = { schema: kafkaSchema, resolve: resolveKafka() };

// Every probe kind Vigil knows. Adding a probe: a folder under src/probes/ and one line here.
import type { ProbeKind } from './kind.ts';
import { diskKind } from './disk/index.ts';
import { memoryKind } from './memory/index.ts';
import { cpuKind } from './cpu/index.ts';
import { postgresKind } from './postgres/index.ts';
import { redisKind } from './redis/index.ts';
import { kafkaKind } from './kafka/index.ts';
import { backupsKind } from './backups/index.ts';
import { httpKind } from './http/index.ts';
import { tcpKind } from './tcp/index.ts';
import { certificatesKind } from './certificates/index.ts';

// Each kind is typed by its own config; the list erases those types (create() takes its kind's options).
// biome-ignore lint/suspicious/noExplicitAny: the one place kinds of different option types meet
type AnyProbeKind = ProbeKind<any, any>;

const KINDS: readonly AnyProbeKind[] = [diskKind, memoryKind, cpuKind, postgresKind, redisKind, kafkaKind, backupsKind, httpKind, tcpKind, certificatesKind];

export const PROBE_KINDS = KINDS as readonly ProbeKind[];

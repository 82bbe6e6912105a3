// Every probe kind Vigil knows. Adding a probe: a folder under src/probes/ and one line here.
import type { ProbeKind } from './kind.ts';
import { diskKind } from './disk/index.ts';
import { memoryKind } from './memory/index.ts';
import { cpuKind } from './cpu/index.ts';
import { postgresKind } from './postgres/index.ts';
import { redisKind } from './redis/index.ts';
import { kafkaKind } from './kafka/index.ts';
import { backupsKind } from './backups/index.ts';

export const PROBE_KINDS: readonly ProbeKind[] = [diskKind, memoryKind, cpuKind, postgresKind, redisKind, kafkaKind, backupsKind] as readonly ProbeKind<
  any,
  any
>[] as readonly ProbeKind[];

// Datastore probes suite: what one probe run costs, for 1 and 10 targets, against real
// PostgreSQL and Redis servers (the machine's PostgreSQL when it answers, else our own; always
// our own Redis so no other client's commands are counted). Queries and commands are counted by
// the servers themselves (pg_stat_database.xact_commit of a database of our own, INFO
// total_commands_processed). Baselines measured in the same run: the raw driver doing one round
// trip on a persistent connection (SELECT 1, PING), and spawning pg_isready / redis-cli ping as
// the runbooks do by hand.
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import pg from 'pg';
import { Redis } from 'ioredis';
import { BUILTIN_SCHEDULE } from '../src/config/common.ts';
import type { ProbeKind } from '../src/probes/kind.ts';
import type { Probe } from '../src/probes/types.ts';
import { postgresKind } from '../src/probes/postgres/index.ts';
import { redisKind } from '../src/probes/redis/index.ts';
import { anyPostgres, uniqueName, type PgServer } from '../test/servers/postgres.ts';
import { ownRedis, serverInfo, type RedisServer } from '../test/servers/redis.ts';
import { round, sleep, type BenchContext, type Suite, type SuiteReport, type Table } from './lib.ts';

const CYCLES = 200;
/** A backend reports its statistics at most 10 s after going idle (PGSTAT_IDLE_INTERVAL). */
const PG_STATS_FLUSH_MS = 11_000;

interface Measured {
  readonly label: string;
  readonly targets: number;
  readonly cycles: number;
  /** Wall time per cycle, ms. */
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** This process's CPU per cycle, ms. */
  readonly cpuMs: number;
  /** Per cycle, counted by the server (filled in after the run for PostgreSQL). */
  serverOps: number | null;
}

async function timeCycles(label: string, targets: number, cycles: number, cycle: () => Promise<unknown>): Promise<Measured> {
  for (let i = 0; i < 5; i++) await cycle(); // connect, plan, JIT
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < cycles; i++) {
    const t0 = performance.now();
    await cycle();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    label,
    targets,
    cycles,
    meanMs: round(times.reduce((a, b) => a + b, 0) / cycles, 3),
    p50Ms: round(at(0.5), 3),
    p95Ms: round(at(0.95), 3),
    cpuMs: round((cpu.user + cpu.system) / 1000 / cycles, 3),
    serverOps: null,
  };
}

async function probes<O>(kind: ProbeKind<unknown, O>, urls: string[]): Promise<Probe[]> {
  const config = await kind.config();
  const section = config.schema.parse({ targets: urls.map((url, i) => ({ name: `bench-${i}`, url })) });
  const problems: string[] = [];
  const settings = config.resolve({ section, defaults: BUILTIN_SCHEDULE, env: {} }, (p, m) => problems.push(`${p}: ${m}`));
  if (problems.length) throw new Error(problems.join('; '));
  const ctx = { logger: pino({ enabled: false }), host: { proc: '/proc', sys: '/sys', rootfs: '/' } };
  return settings.map((s) => kind.create(s, ctx));
}

async function collectAll(list: Probe[]): Promise<void> {
  const signal = new AbortController().signal;
  const results = await Promise.all(list.map((p) => p.collect(signal)));
  for (const r of results) {
    const failed = r.checks.find((c) => c.status === 'fail');
    if (failed) throw new Error(`${failed.componentId}: ${failed.output}`);
  }
}

/** Seconds per spawn of a CLI health check, as the runbooks run it. */
function spawnCost(command: string, args: string[], runs: number): number | null {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
  } catch {
    return null;
  }
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
  return round((performance.now() - t0) / runs, 3);
}

async function benchPostgres(server: PgServer, ctx: BenchContext): Promise<{ rows: Measured[]; spawnMs: number | null }> {
  const dbs = { raw: uniqueName('vigil_bench_raw'), one: uniqueName('vigil_bench_1'), ten: uniqueName('vigil_bench_10') };
  for (const db of Object.values(dbs)) await server.query(`CREATE DATABASE ${db}`);
  const open: { stop(): Promise<void> }[] = [];
  try {
    const raw = new pg.Client({ host: server.host, port: server.port, user: 'postgres', database: dbs.raw });
    await raw.connect();
    open.push({ stop: () => raw.end() });
    const one = await probes(postgresKind as ProbeKind<unknown, unknown>, [server.url(dbs.one)]);
    const ten = await probes(
      postgresKind as ProbeKind<unknown, unknown>,
      Array.from({ length: 10 }, () => server.url(dbs.ten)),
    );
    for (const p of [...one, ...ten]) open.push(p);
    ctx.log('probes-db: postgres');
    const rows = [
      await timeCycles('raw pg SELECT 1', 1, CYCLES, () => raw.query('SELECT 1')),
      await timeCycles('postgres probe', 1, CYCLES, () => collectAll(one)),
      await timeCycles('postgres probe', 10, CYCLES / 2, () => collectAll(ten)),
    ];
    for (const p of open.splice(0)) await p.stop();
    ctx.log(`probes-db: waiting ${PG_STATS_FLUSH_MS / 1000}s for PostgreSQL to publish its statistics`);
    await sleep(PG_STATS_FLUSH_MS);
    const commits = await server.query<{ datname: string; xact_commit: string }>('SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY($1)', [
      Object.values(dbs),
    ]);
    const count = (db: string) => Number(commits.find((r) => r.datname === db)?.xact_commit ?? NaN);
    // Every cycle and the 5 warm-up cycles ran in the database; the probe's statements are
    // single-statement transactions, so commits = statements.
    const [rawRow, oneRow, tenRow] = rows as [Measured, Measured, Measured];
    rawRow.serverOps = round(count(dbs.raw) / (rawRow.cycles + 5), 2);
    oneRow.serverOps = round(count(dbs.one) / (oneRow.cycles + 5), 2);
    tenRow.serverOps = round(count(dbs.ten) / (tenRow.cycles + 5), 2);
    const spawnMs = spawnCost('pg_isready', ['-h', server.host, '-p', String(server.port)], 20);
    return { rows, spawnMs };
  } finally {
    for (const p of open) await p.stop().catch(() => undefined);
    for (const db of Object.values(dbs)) await server.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
  }
}

async function benchRedis(server: RedisServer, ctx: BenchContext): Promise<{ rows: Measured[]; spawnMs: number | null }> {
  const raw = new Redis({ host: server.host, port: server.port, protocol: 2, enableReadyCheck: false, lazyConnect: true });
  await raw.connect();
  const one = await probes(redisKind as ProbeKind<unknown, unknown>, [server.url()]);
  const ten = await probes(
    redisKind as ProbeKind<unknown, unknown>,
    Array.from({ length: 10 }, () => server.url()),
  );
  try {
    ctx.log('probes-db: redis');
    const commands = async () => Number((await serverInfo(server, 'stats')).get('total_commands_processed'));
    const counted = async (m: () => Promise<Measured>) => {
      const before = await commands();
      const row = await m();
      // Our own INFO read counts once; warm-up cycles ran too.
      row.serverOps = round((await commands()) - before - 1, 0) / (row.cycles + 5);
      row.serverOps = round(row.serverOps, 2);
      return row;
    };
    const rows = [
      await counted(() => timeCycles('raw ioredis PING', 1, CYCLES, () => raw.ping())),
      await counted(() => timeCycles('redis probe', 1, CYCLES, () => collectAll(one))),
      await counted(() => timeCycles('redis probe', 10, CYCLES / 2, () => collectAll(ten))),
    ];
    const spawnMs = spawnCost('redis-cli', ['-h', server.host, '-p', String(server.port), 'ping'], 20);
    return { rows, spawnMs };
  } finally {
    raw.disconnect();
    for (const p of [...one, ...ten]) await p.stop();
  }
}

function table(title: string, rows: Measured[], opsName: string, spawn: { label: string; ms: number | null }): Table {
  const base = rows[0] as Measured;
  return {
    title,
    columns: ['what', 'targets', 'ms/cycle', 'p50 ms', 'p95 ms', 'ms/target', 'CPU ms/cycle', `${opsName}/cycle`, '× raw time'],
    rows: [
      ...rows.map((r) => [
        r.label,
        r.targets,
        r.meanMs,
        r.p50Ms,
        r.p95Ms,
        round(r.meanMs / r.targets, 3),
        r.cpuMs,
        r.serverOps,
        round(r.meanMs / base.meanMs, 2),
      ]),
      [spawn.label, 1, spawn.ms, null, null, spawn.ms, null, null, spawn.ms === null ? null : round(spawn.ms / base.meanMs, 1)],
    ],
    notes: [`${opsName} counted by the server; 10 targets are collected concurrently, as the runner does`],
  };
}

export const dbProbesSuite: Suite = {
  name: 'probes-db',
  description: 'cost of one postgres / redis probe run (time, CPU, server-counted queries and commands) for 1 and 10 targets vs the raw driver',
  async run(ctx: BenchContext): Promise<SuiteReport> {
    const teardowns: (() => unknown)[] = [];
    const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
    try {
      const pgServer = await anyPostgres(t);
      const redisServer = await ownRedis(t);
      const postgres = await benchPostgres(pgServer, ctx);
      const redis = await benchRedis(redisServer, ctx);
      return {
        tables: [
          table(`PostgreSQL probe run (${pgServer.own ? 'own server' : 'machine server'} ${pgServer.host}:${pgServer.port})`, postgres.rows, 'statements', {
            label: 'spawn pg_isready',
            ms: postgres.spawnMs,
          }),
          table('Redis probe run (own redis-server)', redis.rows, 'commands', { label: 'spawn redis-cli ping', ms: redis.spawnMs }),
        ],
        data: { postgres, redis },
      };
    } finally {
      for (const fn of teardowns.reverse()) await fn();
    }
  },
};

// Failure modes of the Kafka probe inside the real agent (node src/main.ts): broker stopped,
// broker frozen (SIGSTOP), wrong address. The check fails within timeout + interval, /health
// stays 200, the probe recovers without a restart, and no connections leak.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/kafka.ts';
import { waitFor } from '../helpers.ts';
import { brokerFor, establishedSockets, kafkaVersions } from '../kafka/broker.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INTERVAL_S = 2;
const TIMEOUT_S = 2;
/** Polling /health/detailed and a loaded machine: allowed on top of timeout + interval. */
const GRACE_S = 3;

t.setTimeout(600_000);

interface Entry {
  componentId: string;
  status: string;
  output?: string;
}

for (const version of kafkaVersions()) {
  t.test(`Kafka ${version}: stopped, frozen, wrong address`, async (t) => {
    const broker = await brokerFor(t, version);
    const wrongPort = await freePort();
    const dir = t.testdir();
    const config = join(dir, 'vigil.yaml');
    writeFileSync(
      config,
      [
        'http:',
        '  drain_delay: 1ms',
        'defaults:',
        `  interval: ${INTERVAL_S}s`,
        `  timeout: ${TIMEOUT_S}s`,
        '  failure_threshold: 1',
        'probes:',
        '  disk: {enabled: false}',
        '  memory: {enabled: false}',
        '  cpu: {enabled: false}',
        '  kafka:',
        '    targets:',
        `      - {name: main, brokers: ["${broker.bootstrap}"]}`,
        `      - {name: wrong, brokers: ["127.0.0.1:${wrongPort}"]}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const agent = spawn(process.execPath, ['src/main.ts', '--config', config], {
      cwd: ROOT,
      env: { ...process.env, VIGIL_PORT: String(port), VIGIL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    agent.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    agent.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const exited = once(agent, 'exit');
    t.teardown(async () => {
      if (agent.exitCode === null) {
        agent.kill('SIGKILL');
        await exited;
      }
    });
    const base = `http://127.0.0.1:${port}`;
    const cluster = async (name: string): Promise<Entry | undefined> => {
      const res = await fetch(`${base}/health/detailed`).catch(() => null);
      if (!res) return undefined;
      const doc = (await res.json()) as { checks: Record<string, Entry[]> };
      // Before its first success a probe's failure is filed under the probe's name (kafka/<target>).
      return doc.checks['kafka:cluster']?.find((e) => e.componentId === name || e.componentId === `kafka/${name}`);
    };
    const healthStatus = async () => (await fetch(`${base}/health`)).status;
    const clusterIs = async (name: string, status: string) => (await cluster(name))?.status === status;
    /** Seconds until the main cluster check reads `status`. */
    const secondsUntil = async (status: string, limitMs: number) => {
      const t0 = performance.now();
      await waitFor(() => clusterIs('main', status), limitMs, 100);
      return (performance.now() - t0) / 1000;
    };

    await waitFor(async () => agent.exitCode !== null || (await clusterIs('main', 'pass')), 60_000, 200);
    await waitFor(() => clusterIs('main', 'pass'), 1000, 200).catch((err: unknown) => {
      throw new Error(`the agent never reported the cluster: ${String(err)}\n${stdout.join('')}${stderr.join('')}`);
    });
    await t.test('wrong address: fails with the connection error, /health stays 200', async (t) => {
      await waitFor(() => clusterIs('wrong', 'fail'), (TIMEOUT_S + INTERVAL_S + GRACE_S) * 1000, 100);
      t.match((await cluster('wrong'))?.output, /ECONNREFUSED|connect/i);
      t.equal(await healthStatus(), 200);
    });

    const sockets = () => establishedSockets(agent.pid as number, broker.port);
    const steady = sockets();
    t.ok(steady >= 1 && steady <= 3, `the agent holds ${steady} connection(s) to the broker`);

    await t.test('broker stopped: fails within timeout + interval, recovers without a restart', async (t) => {
      await broker.stop();
      const failedAfter = await secondsUntil('fail', 30_000);
      t.ok(failedAfter <= TIMEOUT_S + INTERVAL_S + GRACE_S, `failed ${failedAfter.toFixed(2)} s after the broker stopped`);
      t.equal(await healthStatus(), 200, '/health stays 200');
      t.match((await cluster('main'))?.output, /cannot read cluster metadata|ECONNREFUSED|connect/i);
      await broker.start();
      const recoveredAfter = await secondsUntil('pass', 60_000);
      t.pass(`recovered ${recoveredAfter.toFixed(2)} s after the broker served again`);
    });

    await t.test('broker frozen (SIGSTOP): fails within timeout + interval, recovers after SIGCONT', async (t) => {
      broker.freeze();
      try {
        const failedAfter = await secondsUntil('fail', 30_000);
        t.ok(failedAfter <= TIMEOUT_S + INTERVAL_S + GRACE_S, `failed ${failedAfter.toFixed(2)} s after the broker froze`);
        t.match((await cluster('main'))?.output, /timed out/);
        t.equal(await healthStatus(), 200, '/health stays 200');
        // Several timed-out runs must not pile up connections.
        await new Promise((resolve) => setTimeout(resolve, 4 * (TIMEOUT_S + INTERVAL_S) * 1000));
        t.ok(sockets() <= steady + 1, `${sockets()} connection(s) while frozen (steady ${steady})`);
      } finally {
        broker.thaw();
      }
      const recoveredAfter = await secondsUntil('pass', 60_000);
      t.pass(`recovered ${recoveredAfter.toFixed(2)} s after SIGCONT`);
    });

    await t.test('no leaked connections after the failures', async (t) => {
      await new Promise((resolve) => setTimeout(resolve, 5 * INTERVAL_S * 1000));
      const after = sockets();
      t.ok(after <= steady, `${after} connection(s) to the broker after recovery (${steady} before the failures)`);
      t.equal(await healthStatus(), 200);
      t.equal(stderr.join(''), '', 'nothing on stderr (no client warnings)');
      t.notOk(stdout.join('').includes('kafka.connection_closed'), 'client connection lines stay at DEBUG');
    });
  });
}

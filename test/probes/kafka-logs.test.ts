// Kafka's log lines (its own client's included) carry `component` once: a strict JSON parser
// (Elasticsearch) rejects a line with a key twice.
import t from 'tap';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { resolveConfig } from '../../src/config/load.ts';
import { componentLogger } from '../../src/log/logger.ts';
import { KafkaProbe } from '../../src/probes/kafka/probe.ts';
import type { KafkaOptions } from '../../src/probes/kafka/config.ts';
import type { ProbeSettings } from '../../src/probes/kind.ts';
import { captureLogs, duplicateJsonKeys, logLineErrors } from '../helpers.ts';
import { PROBE_SECTIONS } from '../../src/probes/sections.ts';

t.test('duplicateJsonKeys finds keys given twice at any depth', async (t) => {
  t.same(duplicateJsonKeys('{"a":1,"b":{"c":"x,\\"c\\"","c":2},"a":3}'), ['c', 'a']);
  t.same(duplicateJsonKeys('{"a":[{"k":1},{"k":2}],"b":"{\\"a\\":1}"}'), []);
});

t.test("every line the Kafka probe logs, with its client's, has each key once", async (t) => {
  // A port nothing listens on: the client fails to connect and logs about it.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  const config = resolveConfig(
    {
      probes: {
        disk: { enabled: false },
        memory: { enabled: false },
        cpu: { enabled: false },
        kafka: { timeout: '2s', targets: [{ name: 'events', brokers: [`127.0.0.1:${port}`] }] },
      },
    },
    null,
    {},
    PROBE_SECTIONS,
  );
  const logs = captureLogs('debug');
  const settings = config.probes[0] as ProbeSettings<KafkaOptions>;
  const probe = new KafkaProbe(settings, { logger: componentLogger(logs.logger, 'probe.kafka'), host: config.host });
  await probe.start(AbortSignal.timeout(5000));
  await t.rejects(probe.collect(AbortSignal.timeout(5000)), /cannot read cluster metadata/);
  await probe.stop();
  t.ok(logs.raw.length > 0, `the client logged (${logs.raw.length} lines)`);
  for (const line of logs.lines) t.same(logLineErrors(line), [], `valid, each key once: ${String(line.message)}`);
  t.ok(logs.lines.every((l) => l.component === 'probe.kafka'));
});

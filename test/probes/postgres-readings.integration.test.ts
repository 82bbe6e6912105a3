// Readings that must stay sane under concurrency: the oldest transaction's age is never
// negative, even for a transaction that began after the probe's statement did.
import t from 'tap';
import { PROBE_QUERY, type ProbeRow } from '../../src/probes/postgres/client.ts';
import { anyPostgres } from '../servers/postgres.ts';

t.test('oldest_transaction is never negative when a transaction starts after the probe query', async (t) => {
  const server = await anyPostgres(t);
  const probe = await server.admin();
  const other = await server.admin();
  t.teardown(async () => {
    await other.end().catch(() => undefined);
    await probe.end().catch(() => undefined);
  });
  // now() is frozen at the probe's transaction start; a transaction opened afterwards has a newer
  // xact_start. Done deterministically with an explicit transaction around the probe query.
  await probe.query('BEGIN');
  await probe.query('SELECT pg_sleep(0.2)');
  await other.query('BEGIN');
  await other.query('SELECT 1');
  const { rows } = await probe.query<ProbeRow>(PROBE_QUERY);
  await other.query('COMMIT');
  await probe.query('COMMIT');
  const age = rows[0]!.oldest_transaction;
  t.ok(age >= 0, `oldest_transaction ${age} s is not negative`);
  t.ok(age < 5, 'and plausibly small');
});

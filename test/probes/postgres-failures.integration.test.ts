// Failure modes of a PostgreSQL target (test/servers/failure-modes.ts), each against a server of
// our own: stopped, wrong password, a port that never answers, restarted.
import { ownPostgres, type PgServer } from '../servers/postgres.ts';
import { failureModeTests } from '../servers/failure-modes.ts';

failureModeTests<PgServer>({
  kind: 'postgres',
  check: 'postgres:reachable',
  own: (t, port) => ownPostgres(t, { port }),
  async ownWithUser(t, password) {
    const server = await ownPostgres(t, { auth: 'scram-sha-256' });
    await server.query(`CREATE ROLE vigil LOGIN PASSWORD '${password}' IN ROLE pg_monitor`);
    return server;
  },
  url: (server, user) => server.url('postgres', user),
  portOf: (server) => server.port,
  urlAt: (port) => `postgres://postgres@127.0.0.1:${port}/postgres`,
  async sessions(server, target) {
    const rows = await server.query<{ id: string }>("SELECT pid || '@' || backend_start AS id FROM pg_stat_activity WHERE application_name = $1", [
      `vigil:${target}`,
    ]);
    return rows.map((r) => r.id);
  },
  stop: (server) => server.stop(),
  start: (server) => server.start(),
  restart: (server) => server.restart(),
  says: {
    stopped: /ECONNREFUSED|terminat|closed/,
    wrongPassword: /password authentication failed for user "vigil"/,
    redactedUrl: /postgres:\/\/vigil@127\.0\.0\.1:\d+\/postgres/,
    hung: /timeout|timed out/i,
    silent: /Query read timeout/,
  },
});

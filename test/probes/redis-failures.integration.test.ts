// Failure modes of a Redis target (test/servers/failure-modes.ts), each against a server of our
// own: stopped, wrong password, a port that never answers, restarted.
import { ownRedis, type RedisServer } from '../servers/redis.ts';
import { failureModeTests } from '../servers/failure-modes.ts';

failureModeTests<RedisServer>({
  kind: 'redis',
  check: 'redis:reachable',
  own: (t, port) => ownRedis(t, { port }),
  ownWithUser: (t, password) => ownRedis(t, { config: [`user vigil on >${password} +ping +info +client|setname`] }),
  url: (server, user) => server.url(user),
  portOf: (server) => server.port,
  urlAt: (port) => `redis://127.0.0.1:${port}`,
  async sessions(server, target) {
    const list = (await server.command('CLIENT', 'LIST')) as string;
    // The client's own address: ids restart from 1 with the server, ephemeral ports do not repeat.
    return list
      .split('\n')
      .filter((line) => line.includes(` name=vigil:${target} `))
      .map((line) => / addr=(\S+)/.exec(line)?.[1] ?? line);
  },
  stop: (server) => server.stop(),
  start: (server) => server.start(),
  async restart(server) {
    await server.stop();
    await server.start();
  },
  says: {
    stopped: /ECONNREFUSED|closed|ECONNRESET/,
    wrongPassword: /WRONGPASS/,
    redactedUrl: /redis:\/\/vigil@127\.0\.0\.1:\d+/,
    hung: /timed out|timeout/i,
    silent: /Command timed out/,
  },
});

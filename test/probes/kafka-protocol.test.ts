// The Kafka wire encoding the probe's client speaks: primitives both ways, the SCRAM exchange
// against RFC 7677's worked example, and decoders fed answers laid out as the protocol guide says.
import t from 'tap';
import { scram } from '../../src/probes/kafka/connection.ts';
import {
  decodeConsumerAssignment,
  decodeConsumerGroupDescribe,
  decodeListOffsets,
  decodeMetadata,
  encodeRequest,
  Reader,
  Writer,
} from '../../src/probes/kafka/protocol.ts';

t.test('varints, compact strings and arrays, tagged fields round-trip', async (t) => {
  const bytes = new Writer()
    .uvarint(0)
    .uvarint(127)
    .uvarint(128)
    .uvarint(300_000)
    .compactString('héllo')
    .compactString(null)
    .string('classic')
    .compactArray([1, 2, 3], (w, n) => w.int32(n))
    .int64(2 ** 40)
    .tags()
    .build();
  const r = new Reader(bytes);
  t.same([r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()], [0, 127, 128, 300_000]);
  t.equal(r.compactString(), 'héllo');
  t.equal(r.compactNullableString(), null);
  t.equal(r.string(), 'classic');
  t.same(
    r.compactArray((r) => r.int32()),
    [1, 2, 3],
  );
  t.equal(r.int64(), 2 ** 40);
  r.tags();
  t.equal(r.remaining, 0);
  t.throws(() => new Reader(Buffer.from([0, 1])).int32(), /truncated/);
});

t.test('a tagged field the decoder does not know is skipped', async (t) => {
  const bytes = new Writer().uvarint(1).uvarint(7).uvarint(3).raw(Buffer.from('abc')).int16(42).build();
  const r = new Reader(bytes);
  r.tags();
  t.equal(r.int16(), 42);
});

t.test('request header v2 for flexible versions: size, key, version, correlation id, client id, tags', async (t) => {
  const frame = encodeRequest('Metadata', 12, 7, 'vigil', Buffer.from([9]));
  const r = new Reader(frame);
  t.equal(r.int32(), frame.length - 4);
  t.same([r.int16(), r.int16(), r.int32(), r.string()], [3, 12, 7, 'vigil']);
  r.tags();
  t.equal(r.int8(), 9);
});

t.test('Metadata v12: brokers, controller, partitions with their leader (−1 when offline)', async (t) => {
  const uuid = Buffer.alloc(16);
  const body = new Writer()
    .int32(0)
    .compactArray([{ id: 1, host: '127.0.0.1', port: 9092 }], (w, b) => w.int32(b.id).compactString(b.host).int32(b.port).compactString(null).tags())
    .compactString('cluster-a')
    .int32(1)
    .compactArray(['orders'], (w, name) =>
      w
        .int16(0)
        .compactString(name)
        .raw(uuid)
        .bool(false)
        .compactArray(
          [
            { p: 0, leader: 1, error: 0 },
            { p: 1, leader: -1, error: 5 },
          ],
          (w, x) =>
            w
              .int16(x.error)
              .int32(x.p)
              .int32(x.leader)
              .int32(0)
              .compactArray([1], (w, n) => w.int32(n))
              .compactArray(x.leader < 0 ? [] : [1], (w, n) => w.int32(n))
              .compactArray([], () => {})
              .tags(),
        )
        .int32(0)
        .tags(),
    )
    .tags()
    .build();
  const meta = decodeMetadata(new Reader(body));
  t.same(meta.brokers, [{ nodeId: 1, host: '127.0.0.1', port: 9092 }]);
  t.equal(meta.clusterId, 'cluster-a');
  t.equal(meta.controllerId, 1);
  t.same(meta.topics[0]?.partitions, [
    { partition: 0, leader: 1, replicas: [1], isr: [1] },
    { partition: 1, leader: -1, replicas: [1], isr: [] },
  ]);
});

t.test('ConsumerGroupDescribe v0: state, members and their current assignment by topic name', async (t) => {
  const uuid = Buffer.alloc(16);
  const assignment = (w: Writer, parts: number[]) =>
    w
      .compactArray([parts], (w, ps) =>
        w
          .raw(uuid)
          .compactString('orders')
          .compactArray(ps, (w, n) => w.int32(n))
          .tags(),
      )
      .tags();
  const body = new Writer()
    .int32(0)
    .compactArray(['g'], (w, id) => {
      w.int16(0).compactString(null).compactString(id).compactString('Stable').int32(3).int32(3).compactString('uniform');
      w.compactArray(['m1'], (w, member) => {
        w.compactString(member).compactString(null).compactString(null).int32(3).compactString('console-consumer').compactString('/127.0.0.1');
        w.compactArray(['orders'], (w, topic) => w.compactString(topic)).compactString(null);
        assignment(w, [0, 1, 2]);
        assignment(w, [0, 1, 2]);
        w.tags();
      });
      w.int32(0).tags();
    })
    .tags()
    .build();
  const [g] = decodeConsumerGroupDescribe(new Reader(body));
  t.equal(g?.state, 'Stable');
  t.equal(g?.assignor, 'uniform');
  t.same(
    g?.members.map((m) => ({ id: m.memberId, client: m.clientId, assignment: [...m.assignment] })),
    [{ id: 'm1', client: 'console-consumer', assignment: [['orders', [0, 1, 2]]] }],
  );
});

t.test('ListOffsets v6: offsets and per-partition errors', async (t) => {
  const body = new Writer()
    .int32(0)
    .compactArray(['orders'], (w, topic) =>
      w
        .compactString(topic)
        .compactArray(
          [
            [0, 0, 30],
            [1, 6, -1],
          ],
          (w, [p, error, offset]) =>
            w
              .int32(p as number)
              .int16(error as number)
              .int64(-1)
              .int64(offset as number)
              .int32(0)
              .tags(),
        )
        .tags(),
    )
    .tags()
    .build();
  t.same(decodeListOffsets(new Reader(body)), [
    { topic: 'orders', partition: 0, error: 0, offset: 30 },
    { topic: 'orders', partition: 1, error: 6, offset: -1 },
  ]);
});

t.test('the classic consumer assignment; null when not in that format', async (t) => {
  const bytes = new Writer()
    .int16(0)
    .array(['orders'], (w, topic) => w.string(topic).array([2, 0], (w, n) => w.int32(n)))
    .int32(-1)
    .build();
  t.same([...(decodeConsumerAssignment(bytes) ?? [])], [['orders', [2, 0]]]);
  t.same([...(decodeConsumerAssignment(Buffer.alloc(0)) ?? [])], []);
  t.equal(decodeConsumerAssignment(Buffer.from([0, 0, 0, 0, 0, 9])), null);
});

t.test('SCRAM-SHA-256 as in RFC 7677 section 3: the proof sent, the server signature checked', async (t) => {
  const nonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const sent: string[] = [];
  const server = (finalMessage: string) => async (bytes: Buffer) => {
    sent.push(bytes.toString('utf8'));
    return Buffer.from(sent.length === 1 ? serverFirst : finalMessage);
  };
  await scram('sha256', 'user', 'pencil', server('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='), nonce);
  t.same(sent, [
    'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  ]);
  sent.length = 0;
  await t.rejects(scram('sha256', 'user', 'pencil', server('v=AAAA'), nonce), /server signature does not match/);
});

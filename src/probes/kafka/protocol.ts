// The Kafka wire protocol for the few read-only APIs the probe sends (kafka.apache.org/protocol):
// a byte writer and reader (classic and flexible encodings: compact strings and arrays, tagged
// fields), and for each API the request body and the decoded answer. One version per API, the
// oldest that has what the probe needs and that both Kafka 3.x and 4.x serve; the connection
// checks it against the broker's ApiVersions. Nothing here does I/O.

export const API = {
  ListOffsets: { key: 2, version: 6, flexible: true },
  Metadata: { key: 3, version: 12, flexible: true },
  OffsetFetch: { key: 9, version: 8, flexible: true },
  FindCoordinator: { key: 10, version: 4, flexible: true },
  DescribeGroups: { key: 15, version: 5, flexible: true },
  ListGroups: { key: 16, version: 5, flexible: true },
  SaslHandshake: { key: 17, version: 1, flexible: false },
  ApiVersions: { key: 18, version: 0, flexible: false },
  SaslAuthenticate: { key: 36, version: 1, flexible: false },
  ConsumerGroupDescribe: { key: 69, version: 0, flexible: true },
} as const;

export type ApiName = keyof typeof API;

/** Oldest version the probe can use when the broker does not speak the preferred one. */
export const MIN_VERSION: Partial<Record<ApiName, number>> = { ListGroups: 3 };

/** Kafka error codes the probe may meet, by name (the rest print as `error <code>`). */
const ERRORS: Readonly<Record<number, string>> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  30: 'GROUP_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  33: 'UNSUPPORTED_SASL_MECHANISM',
  34: 'ILLEGAL_SASL_STATE',
  35: 'UNSUPPORTED_VERSION',
  42: 'INVALID_REQUEST',
  58: 'SASL_AUTHENTICATION_FAILED',
  69: 'GROUP_ID_NOT_FOUND',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
};

export function errorName(code: number): string {
  return ERRORS[code] ?? `error ${code}`;
}

/** A Kafka error code as an Error, its name the message (what the probe's outputs show). */
export class KafkaProtocolError extends Error {
  readonly code: number;
  constructor(code: number, context: string, detail?: string | null) {
    super(`${context}: ${errorName(code)}${detail ? ` (${detail})` : ''}`);
    this.code = code;
  }
}

export class Writer {
  private chunks: Buffer[] = [];

  private push(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.allocUnsafe(size);
    write(b);
    this.chunks.push(b);
    return this;
  }
  int8(v: number): this {
    return this.push(1, (b) => b.writeInt8(v));
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    return this.push(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number): this {
    return this.push(4, (b) => b.writeInt32BE(v));
  }
  int64(v: bigint | number): this {
    return this.push(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    this.chunks.push(Buffer.from(bytes));
    return this;
  }
  raw(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  /** int16-length string; null as length −1. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const b = Buffer.from(v, 'utf8');
    return this.int16(b.length).raw(b);
  }
  /** int32-length bytes. */
  bytes(v: Buffer): this {
    return this.int32(v.length).raw(v);
  }
  /** Flexible-version string: uvarint length + 1; null as 0. */
  compactString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const b = Buffer.from(v, 'utf8');
    return this.uvarint(b.length + 1).raw(b);
  }
  compactArray<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) each(this, item);
    return this;
  }
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  /** No tagged fields. */
  tags(): this {
    return this.uvarint(0);
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export class Reader {
  private offset = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }

  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.buf.length) throw new Error('truncated Kafka response');
    this.offset += n;
    return at;
  }
  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  /** Offsets fit a double well below 2^53. */
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.need(8)));
  }
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf.readUInt8(this.need(1));
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      if (shift > 28) throw new Error('bad varint in Kafka response');
    }
  }
  private text(length: number): string {
    const at = this.need(length);
    return this.buf.toString('utf8', at, at + length);
  }
  string(): string {
    return this.nullableString() ?? '';
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) return Buffer.alloc(0);
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
  compactString(): string {
    return this.compactNullableString() ?? '';
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  }
  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) return Buffer.alloc(0);
    const at = this.need(n - 1);
    return this.buf.subarray(at, at + n - 1);
  }
  uuid(): Buffer {
    const at = this.need(16);
    return this.buf.subarray(at, at + 16);
  }
  array<T>(each: (r: this) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  compactArray<T>(each: (r: this) => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 1; i < n; i++) out.push(each(this));
    return out;
  }
  /** Skips the tagged fields (none of them is needed). */
  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.need(this.uvarint());
    }
  }
  /** The rest, read by a nested decoder (bytes fields holding their own encoding). */
  get remaining(): number {
    return this.buf.length - this.offset;
  }
}

/** Request header v1 (classic) or v2 (flexible: + tagged fields), then the body. */
export function encodeRequest(api: ApiName, version: number, correlationId: number, clientId: string, body: Buffer): Buffer {
  const spec = API[api];
  const header = new Writer().int16(spec.key).int16(version).int32(correlationId).string(clientId);
  if (spec.flexible) header.tags();
  const payload = Buffer.concat([header.build(), body]);
  return Buffer.concat([new Writer().int32(payload.length).build(), payload]);
}

/** Response header v0, or v1 (+ tagged fields) for flexible versions; ApiVersions always uses v0. */
export function readResponseHeader(api: ApiName, r: Reader): void {
  if (API[api].flexible && api !== 'ApiVersions') r.tags();
}

// ——— ApiVersions v0 ———

export function decodeApiVersions(r: Reader): Map<number, { min: number; max: number }> {
  const error = r.int16();
  const versions = new Map<number, { min: number; max: number }>();
  // UNSUPPORTED_VERSION still lists the broker's versions (for a client to retry lower).
  if (error !== 0 && error !== 35) throw new KafkaProtocolError(error, 'ApiVersions');
  for (const v of r.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }))) versions.set(v.key, { min: v.min, max: v.max });
  return versions;
}

// ——— SASL ———

export const encodeSaslHandshake = (mechanism: string) => new Writer().string(mechanism).build();

export function decodeSaslHandshake(r: Reader): string[] {
  const error = r.int16();
  const mechanisms = r.array((r) => r.string());
  if (error !== 0) throw new KafkaProtocolError(error, 'SASL handshake', `broker offers ${mechanisms.join(', ')}`);
  return mechanisms;
}

export const encodeSaslAuthenticate = (bytes: Buffer) => new Writer().bytes(bytes).build();

export function decodeSaslAuthenticate(r: Reader): Buffer {
  const error = r.int16();
  const message = r.nullableString();
  const bytes = r.bytes();
  if (error !== 0) throw new KafkaProtocolError(error, 'SASL authentication', message);
  return bytes;
}

// ——— Metadata v12 ———

export interface MetadataAnswer {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: { nodeId: number; host: string; port: number }[];
  readonly topics: { name: string; error: number; partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[] }[];
}

/** All topics, no auto-creation. */
export const encodeMetadata = () =>
  new Writer()
    .compactArray(null, () => {})
    .bool(false)
    .bool(false)
    .tags()
    .build();

export function decodeMetadata(r: Reader): MetadataAnswer {
  r.int32(); // throttle
  const brokers = r.compactArray((r) => {
    const b = { nodeId: r.int32(), host: r.compactString(), port: r.int32() };
    r.compactNullableString(); // rack
    r.tags();
    return b;
  });
  const clusterId = r.compactNullableString();
  const controllerId = r.int32();
  const topics = r.compactArray((r) => {
    const error = r.int16();
    const name = r.compactString();
    r.uuid();
    r.bool(); // internal
    const partitions = r.compactArray((r) => {
      r.int16(); // a partition without a leader says LEADER_NOT_AVAILABLE: leader −1 says it already
      const p = { partition: r.int32(), leader: r.int32() };
      r.int32(); // leader epoch
      const replicas = r.compactArray((r) => r.int32());
      const isr = r.compactArray((r) => r.int32());
      r.compactArray((r) => r.int32()); // offline replicas
      r.tags();
      return { ...p, replicas, isr };
    });
    r.int32(); // authorized operations
    r.tags();
    return { name, error, partitions };
  });
  r.tags();
  return { clusterId, controllerId, brokers, topics };
}

// ——— ListGroups v3–v5 ———

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  /** `classic`, `consumer` (KIP-848), `share`…; '' before v5. */
  readonly groupType: string;
}

/** Every state; every group type (v5: an empty filter means all, consumer-protocol groups included). */
export function encodeListGroups(version: number): Buffer {
  const w = new Writer();
  if (version >= 4) w.compactArray([], () => {});
  if (version >= 5) w.compactArray([], () => {});
  return w.tags().build();
}

export function decodeListGroups(r: Reader, version: number): ListedGroup[] {
  r.int32();
  const error = r.int16();
  if (error !== 0) throw new KafkaProtocolError(error, 'ListGroups');
  const groups = r.compactArray((r) => {
    const groupId = r.compactString();
    const protocolType = r.compactString();
    if (version >= 4) r.compactString(); // state
    const groupType = version >= 5 ? r.compactString() : '';
    r.tags();
    return { groupId, protocolType, groupType };
  });
  r.tags();
  return groups;
}

// ——— FindCoordinator v4 (batched) ———

export const encodeFindCoordinator = (groupIds: readonly string[]) =>
  new Writer()
    .int8(0) // group coordinator
    .compactArray(groupIds, (w, id) => w.compactString(id))
    .tags()
    .build();

export function decodeFindCoordinator(r: Reader): { key: string; nodeId: number; error: number; message: string | null }[] {
  r.int32();
  const out = r.compactArray((r) => {
    const key = r.compactString();
    const nodeId = r.int32();
    r.compactString(); // host
    r.int32(); // port
    const error = r.int16();
    const message = r.compactNullableString();
    r.tags();
    return { key, nodeId, error, message };
  });
  r.tags();
  return out;
}

// ——— DescribeGroups v5 (classic groups) ———

export interface DescribedGroup {
  readonly groupId: string;
  readonly error: number;
  readonly state: string;
  readonly protocolType: string;
  readonly members: { memberId: string; clientId: string; host: string; assignment: Buffer }[];
}

export const encodeDescribeGroups = (groupIds: readonly string[]) =>
  new Writer()
    .compactArray(groupIds, (w, id) => w.compactString(id))
    .bool(false)
    .tags()
    .build();

export function decodeDescribeGroups(r: Reader): DescribedGroup[] {
  r.int32();
  const groups = r.compactArray((r) => {
    const error = r.int16();
    const groupId = r.compactString();
    const state = r.compactString();
    const protocolType = r.compactString();
    r.compactString(); // protocol (assignor)
    const members = r.compactArray((r) => {
      const memberId = r.compactString();
      r.compactNullableString(); // group instance id
      const clientId = r.compactString();
      const host = r.compactString();
      r.compactBytes(); // metadata
      const assignment = r.compactBytes();
      r.tags();
      return { memberId, clientId, host, assignment };
    });
    r.int32(); // authorized operations
    r.tags();
    return { groupId, error, state, protocolType, members };
  });
  r.tags();
  return groups;
}

/** The classic consumer protocol's member assignment (ConsumerProtocolAssignment); null when not in that format. */
export function decodeConsumerAssignment(bytes: Buffer): Map<string, number[]> | null {
  if (bytes.length === 0) return new Map();
  try {
    const r = new Reader(bytes);
    r.int16(); // version
    return new Map(r.array((r) => [r.string(), r.array((r) => r.int32())] as const));
  } catch {
    return null;
  }
}

// ——— ConsumerGroupDescribe v0 (KIP-848 groups) ———

export interface DescribedConsumerGroup {
  readonly groupId: string;
  readonly error: number;
  readonly message: string | null;
  readonly state: string;
  readonly groupEpoch: number;
  readonly assignor: string;
  readonly members: { memberId: string; clientId: string; host: string; memberEpoch: number; assignment: Map<string, number[]> }[];
}

export const encodeConsumerGroupDescribe = encodeDescribeGroups;

function readAssignment(r: Reader): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const tp of r.compactArray((r) => {
    r.uuid();
    const topic = r.compactString();
    const partitions = r.compactArray((r) => r.int32());
    r.tags();
    return { topic, partitions };
  }))
    out.set(tp.topic, tp.partitions);
  r.tags();
  return out;
}

export function decodeConsumerGroupDescribe(r: Reader): DescribedConsumerGroup[] {
  r.int32();
  const groups = r.compactArray((r) => {
    const error = r.int16();
    const message = r.compactNullableString();
    const groupId = r.compactString();
    const state = r.compactString();
    const groupEpoch = r.int32();
    r.int32(); // assignment epoch
    const assignor = r.compactString();
    const members = r.compactArray((r) => {
      const memberId = r.compactString();
      r.compactNullableString(); // instance id
      r.compactNullableString(); // rack
      const memberEpoch = r.int32();
      const clientId = r.compactString();
      const host = r.compactString();
      r.compactArray((r) => r.compactString()); // subscribed topics
      r.compactNullableString(); // subscribed regex
      const assignment = readAssignment(r);
      readAssignment(r); // target assignment
      r.tags();
      return { memberId, clientId, host, memberEpoch, assignment };
    });
    r.int32();
    r.tags();
    return { groupId, error, message, state, groupEpoch, assignor, members };
  });
  r.tags();
  return groups;
}

// ——— OffsetFetch v8 (several groups, every topic) ———

export interface FetchedGroupOffsets {
  readonly groupId: string;
  readonly error: number;
  readonly offsets: { topic: string; partition: number; offset: number; error: number }[];
}

export const encodeOffsetFetch = (groupIds: readonly string[]) =>
  new Writer()
    .compactArray(groupIds, (w, id) =>
      w
        .compactString(id)
        .compactArray(null, () => {})
        .tags(),
    )
    .bool(false)
    .tags()
    .build();

export function decodeOffsetFetch(r: Reader): FetchedGroupOffsets[] {
  r.int32();
  const groups = r.compactArray((r) => {
    const groupId = r.compactString();
    const offsets = r
      .compactArray((r) => {
        const topic = r.compactString();
        const partitions = r.compactArray((r) => {
          const partition = r.int32();
          const offset = r.int64();
          r.int32(); // leader epoch
          r.compactNullableString(); // metadata
          const error = r.int16();
          r.tags();
          return { topic, partition, offset, error };
        });
        r.tags();
        return partitions;
      })
      .flat();
    const error = r.int16();
    r.tags();
    return { groupId, error, offsets };
  });
  r.tags();
  return groups;
}

// ——— ListOffsets v6 ———

/** ListOffsets timestamps: the log end (high watermark) and the log start. */
export const LATEST = -1;
export const EARLIEST = -2;

export function encodeListOffsets(topics: ReadonlyMap<string, readonly number[]>, timestamp: number): Buffer {
  return new Writer()
    .int32(-1) // replica id: a client
    .int8(0) // read uncommitted, as kafka-consumer-groups: the high watermark, not the last stable offset
    .compactArray([...topics], (w, [topic, partitions]) =>
      w
        .compactString(topic)
        .compactArray(partitions, (w, p) => w.int32(p).int32(-1).int64(timestamp).tags())
        .tags(),
    )
    .tags()
    .build();
}

export function decodeListOffsets(r: Reader): { topic: string; partition: number; error: number; offset: number }[] {
  r.int32();
  const out = r
    .compactArray((r) => {
      const topic = r.compactString();
      const partitions = r.compactArray((r) => {
        const partition = r.int32();
        const error = r.int16();
        r.int64(); // timestamp
        const offset = r.int64();
        r.int32(); // leader epoch
        r.tags();
        return { topic, partition, error, offset };
      });
      r.tags();
      return partitions;
    })
    .flat();
  r.tags();
  return out;
}

// One Redis target: a single server (one member), a Redis Cluster (every node a member, found
// from CLUSTER NODES within one interval, purged when it leaves) or a Sentinel-managed master
// (the master a member, followed across failovers). One persistent connection per node; the
// members' PING and INFO run in parallel, each bounded by the command timeout.
import type { Redis } from 'ioredis';
import type { ProbeSettings } from '../kind.ts';
import { DeclaredProbe } from '../kind.ts';
import { emptyCollection, type Collection, type Probe, type ProbeContext } from '../types.ts';
import { PersistentConnection } from '../connection.ts';
import { addressText, MAX_MEMBERS, type NodeAddress } from './address.ts';
import type { RedisOptions } from './config.ts';
import { command, nodeEndpoint, parseInfo, redisConnector, sentinelEndpoint, type Info, type RedisEndpoint } from './client.ts';
import { labelShards, parseClusterNodes, reportCluster, type ClusterNode } from './cluster.ts';
import { countReplicas, freshest, parseSentinelMaster, reportSentinel, type Quorum } from './sentinel.ts';
import { RedisMember, type Measured } from './member.ts';
import * as m from './metadata.ts';
import { reason } from '../../text.ts';
import { raceDeadline } from '../../deadline.ts';

interface Topology {
  readonly source: string;
  readonly info: Info;
  readonly nodes: ClusterNode[];
}

interface Sentinel {
  readonly address: string;
  readonly endpoint: RedisEndpoint;
  readonly connection: PersistentConnection<Redis>;
}

export class RedisProbe extends DeclaredProbe<RedisOptions> implements Probe {
  /** Hit ratio, evictions and rejections are deltas between two runs. */
  readonly comparesRuns = true;
  /** The target's checks (reachability of a single server, cluster state, sentinel quorum) are under its name. */
  readonly componentId: string;
  /** The URL's server while the target is not (or not yet known to be) a cluster. */
  private single: RedisMember | undefined;
  /** Cluster nodes or the sentinel master, by address. */
  private readonly members = new Map<string, RedisMember>();
  private readonly sentinels: readonly Sentinel[];
  /** The node whose CLUSTER NODES was read last: asked first again. */
  private source: string | undefined;
  /** Nodes each member knew at its last CLUSTER INFO (0: it did not answer): orders the topology sources. */
  private readonly known = new Map<string, number>();

  constructor(settings: ProbeSettings<RedisOptions>, _ctx: ProbeContext) {
    super(m.REDIS, settings);
    const o = settings.options;
    this.componentId = o.target;
    if (o.mode !== 'cluster' && !o.sentinel) this.single = new RedisMember(o, o, { target: o.target }, o.target, o.display);
    if (o.mode === 'cluster') for (const seed of [o, ...o.seeds]) this.addMember(seed, '');
    this.sentinels = (o.sentinel?.sentinels ?? []).map((node) => {
      const endpoint = sentinelEndpoint(o, node);
      const connection: PersistentConnection<Redis> = new PersistentConnection(
        redisConnector(endpoint, (c, why) => connection.lose(c, why)),
        { initialMs: 1000, maxMs: o.intervalMs },
      );
      return { address: addressText(node), endpoint, connection };
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    // Connecting is collect's job: a server down at startup is a failed check, not a failed start.
    signal.throwIfAborted();
  }

  async collect(signal: AbortSignal): Promise<Collection> {
    if (this.options.sentinel) return this.collectSentinel(signal);
    if (this.single) {
      const single = this.single;
      let measured: Measured;
      try {
        measured = await single.measure(signal);
      } catch (err) {
        signal.throwIfAborted();
        return single.failed(err);
      }
      if (this.options.mode === 'single' || measured.info.get('cluster_enabled') !== '1') return single.report(measured);
      // cluster_enabled:1: from now on a cluster, discovered from this node and the seeds.
      this.single = undefined;
      await single.close();
      for (const seed of [this.options, ...this.options.seeds]) this.addMember(seed, '');
    }
    return this.collectCluster(signal);
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.single?.close(),
      ...[...this.members.values()].map((member) => member.close()),
      ...this.sentinels.map((s) => s.connection.close()),
    ]);
    this.members.clear();
    this.known.clear();
  }

  private addMember(node: NodeAddress, shard: string): RedisMember {
    const address = addressText(node);
    const o = this.options;
    const member = new RedisMember(o, nodeEndpoint(o, node), { target: o.target, member: address, shard }, `${o.target}/${address}`, address);
    this.members.set(address, member);
    return member;
  }

  /** Closed without waiting: a connection still being opened to a dead node must not hold up the run (it closes what it opens). */
  private dropMember(address: string): void {
    const member = this.members.get(address);
    this.members.delete(address);
    this.known.delete(address);
    void member?.close();
  }

  /**
   * The nodes to read CLUSTER NODES from, best first: those that answered last time and knew the
   * most nodes (a node just removed, CLUSTER RESET, or not yet met knows fewer), the previous
   * source first on a tie.
   */
  private sources(): string[] {
    const score = (a: string) => this.known.get(a) ?? 0;
    return [...this.members.keys()].sort((a, b) => score(b) - score(a) || Number(b === this.source) - Number(a === this.source));
  }

  /**
   * One node's work, given up after the command timeout: a frozen node makes a reconnect wait
   * for CLIENT SETNAME and then PING, twice the timeout, and the other nodes' results must not
   * wait for it. The work itself goes on; the connection keeps track of it.
   */
  private bounded<T>(work: Promise<T>, what: string, signal: AbortSignal): Promise<T> {
    return raceDeadline(work, this.options.commandTimeoutMs, signal, what);
  }

  /** CLUSTER INFO, NODES and SHARDS of one node; what went wrong instead, as an Error. */
  private async topologyOf(address: string, signal: AbortSignal): Promise<Topology | Error> {
    const member = this.members.get(address);
    if (!member) throw new Error(`${address} is no longer a member`);
    const work = member.connection.use(signal, async (c) => {
      const info = parseInfo(String(await command(c, member.endpoint, 'CLUSTER', 'INFO')));
      const nodes = parseClusterNodes(String(await command(c, member.endpoint, 'CLUSTER', 'NODES')));
      // CLUSTER SHARDS (7.0): health and offsets; before 7.0 CLUSTER NODES alone.
      const shards = await command(c, member.endpoint, 'CLUSTER', 'SHARDS').catch(() => undefined);
      labelShards(nodes, shards);
      return { source: address, info, nodes };
    });
    return this.bounded(work, address, signal).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  }

  private async collectCluster(signal: AbortSignal): Promise<Collection> {
    const o = this.options;
    const out = emptyCollection();
    const candidates = this.sources();
    // The topology is read while the members are measured: a frozen node's timeout is waited
    // for once, not twice.
    const first = candidates[0] !== undefined ? this.topologyOf(candidates[0], signal) : Promise.resolve(new Error('no cluster node known'));
    const results = await Promise.all(
      [...this.members].map(async ([address, member]) => {
        try {
          const work = (async () => {
            const measured = await member.measure(signal);
            return {
              measured,
              info: await member.connection.use(signal, async (c) => parseInfo(String(await command(c, member.endpoint, 'CLUSTER', 'INFO')))),
            };
          })();
          const { measured, info } = await this.bounded(work, address, signal);
          this.known.set(address, Number(info.get('cluster_known_nodes') ?? 0) || 0);
          return { member, part: member.report(measured) };
        } catch (err) {
          this.known.set(address, 0);
          return { member, part: member.failed(err) };
        }
      }),
    );
    let found = await first;
    signal.throwIfAborted();
    // The best source did not answer: the next one that did, this run.
    for (const address of candidates.slice(1)) {
      if (!(found instanceof Error)) break;
      if ((this.known.get(address) ?? 0) > 0) found = await this.topologyOf(address, signal);
    }
    for (const { part } of results) {
      out.samples.push(...part.samples);
      out.checks.push(...part.checks);
    }
    if (found instanceof Error) {
      out.checks.push({
        check: m.clusterStateCheck,
        componentId: o.target,
        observedValue: null,
        status: 'fail',
        output: `${o.display}: no cluster node answered: ${reason(found)}`,
      });
      // Nothing answered: the configured nodes are tried again next time, with the members left.
      for (const seed of [o, ...o.seeds]) if (!this.members.has(addressText(seed))) this.addMember(seed, '');
      return out;
    }
    const topology = found;
    this.source = topology.source;
    reportCluster(o.target, topology.source, topology.info, topology.nodes, out);
    this.follow(topology.nodes, out);
    out.samples.push({ metric: m.clusterMembers, labels: { target: o.target }, value: this.members.size });
    return out;
  }

  /** Members become the nodes the cluster knows (capped): new ones are probed from the next run, gone ones closed. */
  private follow(nodes: readonly ClusterNode[], out: Collection): void {
    const wanted = [...nodes].sort((a, b) => a.address.localeCompare(b.address)).slice(0, MAX_MEMBERS);
    if (nodes.length > MAX_MEMBERS)
      out.errors.push({ componentId: this.options.target, message: `${nodes.length} cluster nodes, only the first ${MAX_MEMBERS} probed as members` });
    const keep = new Set(wanted.map((n) => n.address));
    for (const address of [...this.members.keys()]) if (!keep.has(address)) this.dropMember(address);
    for (const node of wanted) {
      const member = this.members.get(node.address);
      if (member) member.labels = { ...member.labels, shard: node.shard };
      else this.addMember(node, node.shard);
    }
  }

  private async collectSentinel(signal: AbortSignal): Promise<Collection> {
    const o = this.options;
    const s = o.sentinel!;
    const out = emptyCollection();
    const answers = await Promise.all(
      this.sentinels.map(async (sentinel) => {
        try {
          const reply = await this.bounded(
            sentinel.connection.use(signal, (c) => command(c, sentinel.endpoint, 'SENTINEL', 'MASTER', s.masterName)),
            sentinel.address,
            signal,
          );
          return { sentinel, view: parseSentinelMaster(sentinel.address, reply), error: undefined };
        } catch (err) {
          return { sentinel, view: undefined, error: err };
        }
      }),
    );
    signal.throwIfAborted();
    for (const a of answers) out.samples.push({ metric: m.sentinelUp, labels: { target: o.target, sentinel: a.sentinel.address }, value: a.view ? 1 : 0 });
    const view = freshest(answers.flatMap((a) => (a.view ? [a.view] : [])));
    const asked = answers.find((a) => a.view === view)?.sentinel;
    const errors = answers.filter((a) => a.error).map((a) => `${a.sentinel.address}: ${reason(a.error)}`);
    let quorum: Quorum = { ok: false, text: `no sentinel answered for ${s.masterName}${errors.length ? `: ${errors.join('; ')}` : ''}` };
    let replicas: { all: number; up: number } | undefined;
    if (asked) {
      try {
        const text = await this.bounded(
          asked.connection.use(signal, (c) => command(c, asked.endpoint, 'SENTINEL', 'CKQUORUM', s.masterName)),
          asked.address,
          signal,
        );
        quorum = { ok: true, text: `${String(text)} (${asked.address})` };
      } catch (err) {
        // -NOQUORUM is an error reply: the answer, not a broken connection.
        quorum = { ok: false, text: `${reason(err)} (${asked.address})` };
      }
      replicas = await this.bounded(
        asked.connection.use(signal, async (c) => countReplicas(await command(c, asked.endpoint, 'SENTINEL', 'REPLICAS', s.masterName))),
        asked.address,
        signal,
      ).catch(() => undefined);
    }
    reportSentinel(o.target, s.masterName, view, quorum, replicas, out);
    if (!view) return out;
    // The master is a member; after a failover the old one is closed and the new one probed.
    const address = addressText(view.master);
    for (const old of [...this.members.keys()]) if (old !== address) this.dropMember(old);
    const member = this.members.get(address) ?? this.addMember(view.master, s.masterName);
    let part: Collection;
    try {
      part = member.report(await this.bounded(member.measure(signal), address, signal));
    } catch (err) {
      signal.throwIfAborted();
      part = member.failed(err);
    }
    out.samples.push(...part.samples);
    out.checks.push(...part.checks);
    return out;
  }
}

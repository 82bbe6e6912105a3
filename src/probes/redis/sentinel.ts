// What the sentinels say of one master: SENTINEL MASTER (address, flags, quorum, sentinels
// seen), SENTINEL CKQUORUM and SENTINEL REPLICAS, turned into samples and the two sentinel checks.
import type { Collection } from '../types.ts';
import { addressText, type NodeAddress } from './address.ts';
import { pairs } from './cluster.ts';
import * as m from './metadata.ts';

export interface SentinelView {
  /** The sentinel asked, host:port. */
  readonly sentinel: string;
  readonly master: NodeAddress;
  readonly flags: readonly string[];
  readonly quorum: number;
  readonly sentinels: number;
  readonly configEpoch: number;
  readonly failoverState: string;
}

/** SENTINEL MASTER's flat reply; undefined when it names no address. */
export function parseSentinelMaster(sentinel: string, reply: unknown): SentinelView | undefined {
  const p = pairs(reply);
  const host = p.get('ip');
  const port = Number(p.get('port'));
  if (typeof host !== 'string' || !host || !Number.isInteger(port)) return undefined;
  return {
    sentinel,
    master: { host, port },
    flags: String(p.get('flags') ?? '').split(','),
    quorum: Number(p.get('quorum') ?? 0),
    sentinels: Number(p.get('num-other-sentinels') ?? 0) + 1,
    configEpoch: Number(p.get('config-epoch') ?? 0),
    failoverState: String(p.get('failover-state') ?? 'none'),
  };
}

/** The freshest view: the highest config epoch (bumped by each failover), first sentinel on a tie. */
export function freshest(views: readonly SentinelView[]): SentinelView | undefined {
  return views.reduce<SentinelView | undefined>((best, v) => (!best || v.configEpoch > best.configEpoch ? v : best), undefined);
}

/** Replicas of SENTINEL REPLICAS: all, and those not flagged down or disconnected. */
export function countReplicas(reply: unknown): { all: number; up: number } {
  const list = Array.isArray(reply) ? reply : [];
  const up = list.filter((r) => !/s_down|o_down|disconnected/.test(String(pairs(r).get('flags') ?? ''))).length;
  return { all: list.length, up };
}

export function failoverInProgress(view: SentinelView): boolean {
  return view.flags.includes('failover_in_progress') || (view.failoverState !== 'none' && view.failoverState !== '');
}

export interface Quorum {
  readonly ok: boolean;
  /** The sentinel's answer (`OK 3 usable Sentinels…`, `NOQUORUM …`) or why none was had. */
  readonly text: string;
}

/** Samples and the two sentinel checks; `componentId` is the target's. */
export function reportSentinel(
  target: string,
  masterName: string,
  view: SentinelView | undefined,
  quorum: Quorum,
  replicas: { all: number; up: number } | undefined,
  out: Collection,
): void {
  const labels = { target };
  out.samples.push({ metric: m.sentinelQuorumOk, labels, value: quorum.ok ? 1 : 0 });
  out.checks.push({
    check: m.sentinelQuorumCheck,
    componentId: target,
    observedValue: view?.sentinels ?? null,
    status: quorum.ok ? 'pass' : 'fail',
    output: quorum.text,
  });
  if (!view) {
    out.checks.push({
      check: m.sentinelMasterCheck,
      componentId: target,
      observedValue: null,
      status: 'fail',
      output: `no sentinel named a master for ${masterName}`,
    });
    return;
  }
  const address = addressText(view.master);
  const odown = view.flags.includes('o_down');
  const sdown = view.flags.includes('s_down');
  const failover = failoverInProgress(view);
  out.samples.push(
    { metric: m.sentinelMasterInfo, labels: { target, master_name: masterName, master: address }, value: 1 },
    { metric: m.sentinelSdown, labels, value: sdown ? 1 : 0 },
    { metric: m.sentinelOdown, labels, value: odown ? 1 : 0 },
    { metric: m.sentinelFailover, labels, value: failover ? 1 : 0 },
    { metric: m.sentinelsSeen, labels, value: view.sentinels },
    { metric: m.sentinelQuorum, labels, value: view.quorum },
  );
  if (replicas) {
    out.samples.push(
      { metric: m.sentinelReplicas, labels: { target, state: 'all' }, value: replicas.all },
      { metric: m.sentinelReplicas, labels: { target, state: 'up' }, value: replicas.up },
    );
  }
  const status = odown ? 'fail' : sdown || failover ? 'warn' : 'pass';
  const state = odown ? 'objectively down (o_down)' : sdown ? 'subjectively down (s_down)' : 'up';
  out.checks.push({
    check: m.sentinelMasterCheck,
    componentId: target,
    observedValue: view.flags.join(','),
    status,
    ...(status === 'warn' ? { severity: 'SEV3' as const } : {}),
    output: `master ${masterName} at ${address} ${state}${failover ? `, failover in progress (${view.failoverState})` : ''}, ${view.sentinels} sentinels (quorum ${view.quorum})${replicas ? `, ${replicas.up} of ${replicas.all} replicas up` : ''}, per ${view.sentinel}`,
  });
}

// The `probes.tcp` section: any number of tcp://host:port targets; a `tls:` block turns the
// TLS handshake on (as Kafka's block does).
import { z } from 'zod';
import type { ProbeSchedule } from '../../config/common.ts';
import type { Thresholds } from '../../checks/levels.ts';
import { ladderField, resolveLadder } from '../../config/thresholds.ts';
import { resolveTls, tlsBlock, type TlsSettings } from '../../config/tls.ts';
import { tlsExpiry } from '../certificates/metadata.ts';
import type { ReportDeprecated, ReportProblem } from '../kind.ts';
import { connectionFields, decodeUrlPart, hostPortName, parseUrl, resolveTimeouts } from '../target-config.ts';
import { targetFields, targetInstances, targetsSection } from '../targets.ts';
import * as m from './metadata.ts';
import type { KindConfig } from '../kind.ts';

const targetSchema = z.strictObject({
  ...targetFields,
  url: z
    .string({ error: 'must be a tcp://host:port URL' })
    .regex(/^tcp:\/\//, { error: 'must be a tcp://host:port URL' })
    .describe('tcp://host:port'),
  connect_timeout: connectionFields.connect_timeout.describe("Deadline of the connect and the TLS handshake; default 80 % of the probe's timeout"),
  tls: tlsBlock.optional().describe('When given, a TLS handshake follows the connect, the certificate verified as set'),
  expiry_thresholds: ladderField(tlsExpiry),
});

export const tcpSchema = targetsSection(targetSchema, { expiry_thresholds: ladderField(tlsExpiry) }).describe(
  `TCP ports (env ${m.URL_ENV}: comma-separated tcp://host:port)`,
);

export type TcpSection = z.infer<typeof tcpSchema>;
type TcpTarget = z.infer<typeof targetSchema>;

export interface TcpOptions {
  readonly target: string;
  readonly display: string;
  readonly host: string;
  readonly port: number;
  /** The handshake's settings; null for a plain connect. */
  readonly tls: TlsSettings | null;
  readonly connectTimeoutMs: number;
  readonly intervalMs: number;
  /** tls:expiry of the chain the handshake presented (with a tls: block). */
  readonly expiryThresholds: Thresholds;
}

function resolveOptions(target: TcpTarget, section: TcpSection, schedule: ProbeSchedule, report: ReportProblem, deprecated: ReportDeprecated): TcpOptions {
  const url = parseUrl(target.url, /^tcp:$/, 'a tcp://host:port URL', report);
  if (url.protocol === 'tcp:' && (!url.port || !url.hostname)) report('url', 'must name a host and a port: tcp://host:port');
  if (url.protocol === 'tcp:' && (url.username || url.password || (url.pathname && url.pathname !== '/') || url.search))
    report('url', 'must be tcp://host:port, nothing more');
  const host = decodeUrlPart(url.hostname.replace(/^\[|\]$/g, ''), 'host', report);
  const timeouts = resolveTimeouts({ connect: target.connect_timeout, commandKey: 'connect_timeout' }, schedule, report);
  return Object.freeze({
    target: target.name ?? hostPortName(target.url, 0) ?? 'tcp',
    display: `tcp://${url.host}`,
    host,
    port: Number(url.port),
    tls: resolveTls(target.tls, [], report, deprecated) ?? null,
    connectTimeoutMs: timeouts.connectTimeoutMs,
    intervalMs: schedule.intervalMs,
    expiryThresholds: resolveLadder(tlsExpiry, target.expiry_thresholds ?? section.expiry_thresholds),
  });
}

export const resolveTcp = targetInstances<TcpSection, TcpTarget, TcpOptions>({
  key: m.TCP.key,
  envVar: m.URL_ENV,
  fromEnv: (item) => ({ url: item }),
  // No default port: without one there is no name, and the URL problem is what gets reported.
  defaultName: (target) => (URL.canParse(target.url) && new URL(target.url).port ? hostPortName(target.url, 0) : undefined),
  options: resolveOptions,
});

/** The `probes.tcp` config side, loaded by the kind on first use (see src/probes/kind.ts). */
export const tcpConfig: KindConfig<TcpSection, TcpOptions> = { schema: tcpSchema, resolve: resolveTcp };

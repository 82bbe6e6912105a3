// The tcp probe kind's facts: a connect (and optionally a TLS handshake) to ports that speak no
// HTTP. Series named as blackbox_exporter's tcp prober (probe_success, probe_duration_seconds,
// probe_tls_version_info) with the vigil_tcp_ prefix and a `target` label.
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';
import { TLS_CERTIFICATE_METRICS, tlsExpiry } from '../certificates/metadata.ts';

const T = ['target'] as const;

export const up = gauge('vigil_tcp_up', 'Whether the last connect (and TLS handshake, when configured) succeeded (1) or not (0).', T);
export const duration = gauge(
  'vigil_tcp_duration_seconds',
  'Time of each phase of the last connect, seconds: resolve (DNS), connect, tls (only with a tls: block).',
  ['target', 'phase'],
);
export const tlsVersion = gauge('vigil_tcp_tls_version_info', 'TLS version of the last handshake (label version: TLS 1.2, TLS 1.3); always 1.', [
  'target',
  'version',
]);

/** Targets for sidecars, without a config file. */
export const URL_ENV = 'VIGIL_TCP_URL';

// A port that does not accept connections is a service down: Athena's P1 Incident Response.
export const connect = defineCheck({
  id: 'tcp:connect',
  componentType: 'component',
  component: 'each TCP target',
  unit: 's',
  playbook: 'P1 Incident Response',
  failSeverity: 'SEV2',
  description:
    'time to connect (and complete the TLS handshake, with a `tls:` block), seconds; fails when refused, unresolved, timed out or the certificate does not verify',
  judgedBy: 'fail when the connection or the handshake fails',
});

export const TCP = defineMetadata({
  key: 'tcp',
  description: 'TCP ports that speak no HTTP: a connect per run, with an optional TLS handshake',
  env: [{ name: URL_ENV, help: 'comma-separated tcp://host:port addresses to connect to, named host:port' }],
  // With a tls: block, the server's certificate chain is reported as tls:expiry (tcp/<target>).
  metrics: [up, duration, tlsVersion, ...TLS_CERTIFICATE_METRICS],
  checks: [connect, tlsExpiry],
});

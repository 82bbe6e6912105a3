// The http probe kind's facts. Metric names follow blackbox_exporter's http prober
// (probe_http_status_code, probe_http_duration_seconds{phase}, probe_http_redirects,
// probe_tls_version_info…) with the vigil_http_ prefix; every series has a `target` label.
import { gauge } from '../../metrics/family.ts';
import { defineCheck } from '../../checks/types.ts';
import { defineMetadata } from '../kind.ts';
import { TLS_CERTIFICATE_METRICS, tlsExpiry } from '../certificates/metadata.ts';

const T = ['target'] as const;

export const up = gauge('vigil_http_up', 'Whether the last request got an answer with an expected status, body and JSON field (1) or not (0).', T);
export const statusCode = gauge('vigil_http_status_code', 'Status code of the last answer (after redirects, when followed); 0 without an answer.', T);
export const duration = gauge(
  'vigil_http_duration_seconds',
  'Time of each phase of the last request, seconds, summed over redirects: resolve (DNS), connect, tls (0 on a reused connection), processing (request sent to first byte), transfer (first byte to end of body).',
  ['target', 'phase'],
);
export const latencyP95 = gauge(
  'vigil_http_latency_p95_seconds',
  'p95 of the total request time over the last latency_window runs that got an answer, seconds.',
  T,
);
export const contentLength = gauge(
  'vigil_http_content_length_bytes',
  'Content-Length of the last answer, or the body bytes read when the header is absent (at most max_body_size).',
  T,
);
export const redirects = gauge('vigil_http_redirects', 'Redirects followed by the last request.', T);
export const tlsVersion = gauge('vigil_http_tls_version_info', 'TLS version of the last HTTPS connection (label version: TLS 1.2, TLS 1.3); always 1.', [
  'target',
  'version',
]);

export const HTTP_METRICS = [up, statusCode, duration, latencyP95, contentLength, redirects, tlsVersion] as const;

/** Targets for sidecars, without a config file. */
export const URL_ENV = 'VIGIL_HTTP_URL';

// Playbooks from the runbooks: an endpoint that does not answer as expected is Athena's "Service
// Down" (P1 Incident Response); a slow one the operations review's "Severe Performance
// Degradation", with ALECS's response time levels: alert > 1 s, critical > 3 s.
export const status = defineCheck({
  id: 'http:status',
  componentType: 'component',
  component: 'each HTTP target',
  unit: '',
  playbook: 'P1 Incident Response',
  failSeverity: 'SEV2',
  description:
    'the answer: expected status (default 2xx), body and JSON field match; fails on a connection or TLS error, a timeout or a mismatch, saying which',
  judgedBy: 'fail on no answer, an unexpected status or a body/JSON mismatch',
});

export const latency = defineCheck({
  id: 'http:latency',
  componentType: 'component',
  component: 'each HTTP target',
  unit: 's',
  playbook: 'Severe Performance Degradation',
  failSeverity: 'SEV2',
  description: 'total time of the request, seconds (the rolling p95 is in the output and `vigil_http_latency_p95_seconds`); not reported without an answer',
  ladder: {
    config: 'thresholds.latency',
    direction: 'above',
    values: 'non-negative',
    measures: 'Total time of the request (redirects included), seconds',
    levels: [
      { key: 'warn', status: 'warn', severity: 'SEV3', default: 1 },
      { key: 'fail', status: 'fail', severity: 'SEV2', default: 3 },
    ],
  },
});

export const health = defineCheck({
  id: 'http:health',
  componentType: 'component',
  component: 'each HTTP target answering health JSON',
  unit: '',
  playbook: 'P1 Incident Response',
  failSeverity: 'SEV2',
  description: "the target's own status, when it answers `application/health+json` or JSON with a top-level `status` of pass/ok/up, warn, fail/down",
  judgedBy: 'pass/ok/up pass, warn warn (SEV3), fail/down fail',
  severities: ['SEV3', 'SEV2'],
});

export const HTTP = defineMetadata({
  key: 'http',
  description: 'HTTP(S) endpoints: status, body and JSON match, latency by phase with a rolling p95, and the health JSON other services report',
  env: [{ name: URL_ENV, help: 'comma-separated http(s):// URLs to probe (GET, 2xx expected), named host:port' }],
  // Over https://, the server's certificate chain is reported as tls:expiry (http/<target>).
  metrics: [...HTTP_METRICS, ...TLS_CERTIFICATE_METRICS],
  checks: [status, latency, health, tlsExpiry],
});

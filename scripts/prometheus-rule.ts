// Writes deploy/prometheus-operator/prometheusrule.yaml, the Prometheus Operator's form of
// deploy/prometheus/alerts.yaml (the source of truth, checked by promtool). Re-run after any
// change to alerts.yaml; a test fails while the two differ.
//
//   npm run prometheus-rule            # rewrite the file
//   npm run prometheus-rule -- --check # exit 1 when it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ALERTS_FILE = 'deploy/prometheus/alerts.yaml';
export const PROMETHEUS_RULE_FILE = 'deploy/prometheus-operator/prometheusrule.yaml';

const HEADER = `# GENERATED from ${ALERTS_FILE} by \`npm run prometheus-rule\`: edit that file, then re-run.
# The same rules as a PrometheusRule for the Prometheus Operator. Your Prometheus selects rules
# by label (\`kubectl get prometheus -A -o jsonpath='{..ruleSelector}'\`): kube-prometheus-stack
# wants \`release: <its Helm release name>\`; add it here or with a kustomize patch.
`;

export function renderPrometheusRule(alertsText: string): string {
  const rules = parse(alertsText) as { groups: unknown[] };
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'vigil',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/name': 'vigil', 'app.kubernetes.io/component': 'alerting-rules' },
    },
    spec: { groups: rules.groups },
  };
  return HEADER + stringify(object, { lineWidth: 0, blockQuote: 'literal' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rendered = renderPrometheusRule(readFileSync(`${ROOT}/${ALERTS_FILE}`, 'utf8'));
  const path = `${ROOT}/${PROMETHEUS_RULE_FILE}`;
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current !== rendered) {
      console.error(`${PROMETHEUS_RULE_FILE} is stale: run npm run prometheus-rule`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(path, rendered);
  }
}

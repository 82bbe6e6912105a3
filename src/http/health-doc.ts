// /health/detailed in the shape of the IETF draft "Health Check Response Format for HTTP APIs"
// (application/health+json), with Vigil's additions per check: thresholds, since, severity and
// the runbook playbook.
import { overallStatus, type CheckView } from '../checks/store.ts';
import type { Status } from '../checks/levels.ts';
import type { Identity } from '../config/load.ts';
import { VERSION, REVISION } from '../version.ts';

export const HEALTH_JSON = 'application/health+json; charset=utf-8';

export interface HealthCheckEntry {
  componentId: string;
  componentType: string;
  observedValue: number | string | boolean | null;
  observedUnit: string;
  status: Status;
  time: string;
  output?: string;
  /** Vigil: thresholds the value is judged against, in observedUnit. */
  thresholds?: { direction: 'above' | 'below'; levels: { status: string; value: number; severity: string }[] };
  /** Vigil: since when the check has been in this status. */
  since: string;
  /** Vigil: runbook severity (SEV1–SEV4) while not passing. */
  severity?: string;
  /** Vigil: runbook playbook to open while not passing. */
  playbook?: string;
  /** Vigil: whether the check gates /ready. */
  critical: boolean;
  /** Vigil: facts behind the value (a certificate's subject, issuer, SANs). */
  details?: Readonly<Record<string, unknown>>;
}

export interface HealthDocument {
  status: Status;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  notes?: string[];
  output?: string;
  /** Vigil: where this agent runs. */
  node: { name: string; pod: string | null; namespace: string | null; host: string };
  checks: Record<string, HealthCheckEntry[]>;
}

export interface DocumentInput {
  readonly views: readonly CheckView[];
  readonly service: { readonly name: string; readonly description: string };
  readonly identity: Identity;
  readonly firstRoundDone: boolean;
}

export function healthDocument(input: DocumentInput): HealthDocument {
  const checks: Record<string, HealthCheckEntry[]> = {};
  for (const v of input.views) {
    const entry: HealthCheckEntry = {
      componentId: v.componentId,
      componentType: v.check.componentType,
      observedValue: v.observedValue,
      observedUnit: v.check.unit,
      status: v.status,
      time: v.time.toISOString(),
      since: v.since.toISOString(),
      critical: v.critical,
    };
    if (v.output) entry.output = v.output;
    if (v.details) entry.details = v.details;
    if (v.thresholds) {
      entry.thresholds = {
        direction: v.thresholds.direction,
        levels: v.thresholds.levels.map((l) => ({ status: l.status, value: l.at, severity: l.severity })),
      };
    }
    if (v.status !== 'pass') {
      if (v.severity) entry.severity = v.severity;
      entry.playbook = v.check.playbook;
    }
    checks[v.check.id] ??= [];
    checks[v.check.id]!.push(entry);
  }
  let status = overallStatus(input.views);
  const doc: HealthDocument = {
    status,
    version: VERSION,
    releaseId: `${VERSION}+${REVISION}`,
    serviceId: input.service.name,
    description: input.service.description,
    node: {
      name: input.identity.nodeName,
      pod: input.identity.podName,
      namespace: input.identity.namespace,
      host: input.identity.hostname,
    },
    checks,
  };
  if (!input.firstRoundDone) {
    status = status === 'fail' ? 'fail' : 'warn';
    doc.status = status;
    doc.output = 'first round of probes not finished yet';
  }
  return doc;
}

/** 200 for pass and warn, 503 for fail (the draft's advice for load balancers). */
export function httpStatusFor(status: Status): number {
  return status === 'fail' ? 503 : 200;
}

// The runner's span for one probe run, named `probe <kind>`, active while the probe works (so
// the driver spans of traced() are its children) and while the runner logs about the run (so
// those lines carry its trace_id). It ends with the run's outcome: result, check statuses, the
// main observed values, and ERROR with the reason when the run failed or found a check failing.
import type { Attributes, Span } from '@opentelemetry/api';
import { STATUS_ORDER, type Status } from '../checks/levels.ts';
import { observationStatus } from '../checks/store.ts';
import type { Collection, Probe } from '../probes/types.ts';
import { activeTracing, SPAN_STATUS_ERROR } from '../otel.ts';

/** What a run ended with (the runner's view). */
export interface RunOutcome {
  readonly result: 'success' | 'error' | 'timeout' | 'skipped' | 'aborted';
  readonly reason?: string | undefined;
  readonly collection?: Collection | undefined;
}

/** At most this many partial errors become span events: a run over 200 mounts stays small. */
const MAX_ERROR_EVENTS = 10;

/** Runs `run` inside the probe's span and ends the span with the outcome `run` returns. */
export function traceProbeRun(probe: Pick<Probe, 'kind' | 'name'>, run: () => Promise<RunOutcome>): Promise<void> {
  const attributes: Attributes = { 'vigil.probe.kind': probe.kind, 'vigil.probe.name': probe.name };
  // Target kinds name their instances `kind/target`.
  if (probe.name.startsWith(`${probe.kind}/`)) attributes['vigil.probe.target'] = probe.name.slice(probe.kind.length + 1);
  const tracing = activeTracing();
  // Tracing off: the run as it is, no span to make.
  if (tracing === undefined) return run().then(() => undefined);
  return tracing.tracer.startActiveSpan(`probe ${probe.kind}`, { kind: tracing.api.SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      const outcome = await run();
      if (span.isRecording()) describeOutcome(span, outcome);
    } catch (err) {
      // The runner never throws; if it ever does, the span still says so and ends.
      span.setStatus({ code: SPAN_STATUS_ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

interface CheckSummary {
  status: Status;
  componentId: string;
  observedValue: string | number | boolean | null;
  output: string;
  count: number;
}

export function describeOutcome(span: Span, outcome: RunOutcome): void {
  span.setAttribute('vigil.probe.result', outcome.result);
  if (outcome.result !== 'success') {
    span.setAttribute('vigil.probe.status', 'fail');
    // An aborted run is the agent stopping, not a failure of the target.
    if (outcome.result !== 'aborted') span.setStatus({ code: SPAN_STATUS_ERROR, message: outcome.reason ?? outcome.result });
    return;
  }
  const collection = outcome.collection;
  if (!collection) return;

  // Per check: the worst component, with its observed value.
  const byCheck = new Map<string, CheckSummary>();
  const counts: Record<Status, number> = { pass: 0, warn: 0, fail: 0 };
  for (const obs of collection.checks) {
    const { status } = observationStatus(obs);
    counts[status]++;
    const summary = byCheck.get(obs.check.id);
    if (summary) summary.count++;
    if (!summary || STATUS_ORDER[status] > STATUS_ORDER[summary.status]) {
      byCheck.set(obs.check.id, {
        status,
        componentId: obs.componentId,
        observedValue: obs.observedValue,
        output: obs.output ?? '',
        count: summary ? summary.count : 1,
      });
    }
  }
  let worst: Status = 'pass';
  let firstFailing: string | undefined;
  for (const [id, s] of byCheck) {
    span.setAttribute(`vigil.check.${id}.status`, s.status);
    span.setAttribute(`vigil.check.${id}.component_id`, s.componentId);
    span.setAttribute(`vigil.check.${id}.components`, s.count);
    if (s.observedValue !== null) span.setAttribute(`vigil.check.${id}.observed_value`, s.observedValue);
    if (STATUS_ORDER[s.status] > STATUS_ORDER[worst]) worst = s.status;
    if (s.status === 'fail' && firstFailing === undefined) firstFailing = `check ${id} ${s.componentId} fails${s.output ? `: ${s.output}` : ''}`;
  }
  span.setAttributes({
    'vigil.probe.status': worst,
    'vigil.checks.count': collection.checks.length,
    'vigil.checks.warn': counts.warn,
    'vigil.checks.fail': counts.fail,
    'vigil.probe.errors': collection.errors.length,
  });
  for (const e of collection.errors.slice(0, MAX_ERROR_EVENTS)) {
    span.addEvent('probe.partial_error', e.componentId ? { 'vigil.component_id': e.componentId, message: e.message } : { message: e.message });
  }
  const firstError = collection.errors[0];
  if (firstFailing !== undefined) span.setStatus({ code: SPAN_STATUS_ERROR, message: firstFailing });
  else if (firstError)
    span.setStatus({ code: SPAN_STATUS_ERROR, message: firstError.componentId ? `${firstError.componentId}: ${firstError.message}` : firstError.message });
}

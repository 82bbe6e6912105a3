// Durations in config and environment: "500ms", "10s", "2m", "1h", or combinations ("1m30s").
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration accepted anywhere: 596h, just under the 2^31 − 1 ms Node.js timers can
 * hold (a longer one fires after 1 ms, turning an hourly probe into a busy loop).
 */
export const MAX_DURATION_MS = 596 * 3_600_000;

/** The shortest probe interval (tests use a few hundred ms); below it a probe would hammer its target and the agent's CPU. */
export const MIN_INTERVAL_MS = 100;

/** Milliseconds, or undefined when the text is not a duration (or not a finite one). */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] as number);
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** "1500" → "1.5s", "90000" → "1m30s": the inverse of parseDuration for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = ms - minutes * 60_000;
  if (minutes < 60) return rest ? `${minutes}m${formatDuration(rest)}` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  const restMs = ms - hours * 3_600_000;
  return restMs ? `${hours}h${formatDuration(restMs)}` : `${hours}h`;
}

export const DURATION_PATTERN = WHOLE.source;

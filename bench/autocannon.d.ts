// Minimal types for the parts of autocannon (v8, ships no types) that the bench uses.
declare module 'autocannon' {
  interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly stddev: number;
    readonly min: number;
    readonly max: number;
    readonly total: number;
    readonly p50: number;
    readonly p90: number;
    readonly p97_5: number;
    readonly p99: number;
    readonly p99_9: number;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number | string;
    pipelining?: number;
    timeout?: number;
    headers?: Record<string, string>;
    method?: string;
    title?: string;
    bailout?: number;
    /** Each connection cycles through these requests in order. */
    requests?: { path?: string; method?: string }[];
  }

  interface Result {
    readonly title?: string;
    readonly url: string;
    readonly requests: Histogram;
    readonly latency: Histogram & { readonly totalCount: number };
    readonly throughput: Histogram;
    /** Seconds. */
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly mismatches: number;
    readonly '2xx': number;
    readonly statusCodeStats: Record<string, { count: number }>;
  }

  interface Instance extends PromiseLike<Result> {
    stop(): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
  export type { Histogram, Instance, Options, Result };
}

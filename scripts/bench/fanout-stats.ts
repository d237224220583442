/** Delivery counters and a latency histogram of the fan-out benchmark (10 µs buckets below 10 ms, then 1 ms up to 120 s). */
const BUCKETS = 1_000 + 120_000;

/** The `t=<µs>` stamp inside a received frame, or -1. */
export function stampOf(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf("t=", start, "latin1");
  if (at < 0 || at >= end) return -1;
  let value = 0;
  for (let k = at + 2; k < end; k++) {
    const ch = buf[k]!;
    if (ch < 48 || ch > 57) break;
    value = value * 10 + (ch - 48);
  }
  return value;
}

export interface StatsSnapshot {
  ready: number;
  failed: number;
  closedAfterReady: number;
  messages: number;
  errors: Record<string, number>;
  /** Sparse histogram: bucket, count, bucket, count, … */
  histogram?: number[];
  /** Messages delivered late here (over SLOW_US): send stamp µs, deliveries late, the latest µs; at most SLOW_KEPT messages. */
  slow?: Array<[number, number, number]>;
}

/** A delivery later than this is counted per message, to tell one slow message from a slow tail. */
export const SLOW_US = 20_000;
const SLOW_KEPT = 1_000;

export class FanoutStats {
  ready = 0;
  failed = 0;
  closedAfterReady = 0;
  messages = 0;
  errors: Record<string, number> = {};
  private histogram = new Uint32Array(BUCKETS);
  private slow = new Map<number, [number, number]>();

  error(what: string): void {
    this.errors[what] = (this.errors[what] ?? 0) + 1;
  }

  record(us: number, stamp: number): void {
    if (us > SLOW_US) {
      const seen = this.slow.get(stamp);
      if (seen) [seen[0], seen[1]] = [seen[0] + 1, Math.max(seen[1], us)];
      else if (this.slow.size < SLOW_KEPT) this.slow.set(stamp, [1, us]);
    }
    const bucket = us < 10_000 ? Math.max(0, Math.floor(us / 10)) : Math.min(BUCKETS - 1, 1_000 + Math.floor(us / 1_000));
    this.histogram[bucket]!++;
  }

  reset(): void {
    this.messages = 0;
    this.histogram = new Uint32Array(BUCKETS);
    this.slow.clear();
  }

  snapshot(withHistogram: boolean): StatsSnapshot {
    const { ready, failed, closedAfterReady, messages, errors } = this;
    if (!withHistogram) return { ready, failed, closedAfterReady, messages, errors };
    const histogram: number[] = [];
    this.histogram.forEach((count, bucket) => void (count && histogram.push(bucket, count)));
    return { ready, failed, closedAfterReady, messages, errors, histogram, slow: [...this.slow].map(([stamp, [n, us]]) => [stamp, n, us]) };
  }
}

/** Merges sparse histograms and reads percentiles (ms). */
export function percentiles(histograms: number[][], ps: number[]): Record<string, number> & { n: number } {
  const merged = new Map<number, number>();
  let n = 0;
  for (const h of histograms)
    for (let i = 0; i < h.length; i += 2) {
      merged.set(h[i]!, (merged.get(h[i]!) ?? 0) + h[i + 1]!);
      n += h[i + 1]!;
    }
  const keys = [...merged.keys()].sort((a, b) => a - b);
  const ms = (b: number) => (b < 1_000 ? (b * 10 + 5) / 1_000 : b - 1_000 + 0.5);
  const out: Record<string, number> & { n: number } = { n };
  for (const p of ps) {
    let acc = 0;
    for (const k of keys) if ((acc += merged.get(k)!) >= n * p) {
      out[`p${p * 100}`] = Number(ms(k).toFixed(2));
      break;
    }
  }
  return out;
}

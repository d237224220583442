/**
 * Coalesces calls made within a short window into one batched operation per key, as the notification
 * backlog loader does for PostgreSQL: `add(key, item)` resolves with the batch's answer for that item. A
 * batch goes out `windowMs` after its first item (`0`: at the end of the current turn of the event loop,
 * setImmediate, so everything the turn's I/O callbacks asked for goes together and waits no timer), or at
 * once when it reaches `maxBatch`; items of one key
 * keep their order, and a failed batch rejects each of its items. Used on the connect path, where a storm
 * makes one round trip per socket the cost.
 *
 * The window opens only under load. While the batcher takes fewer than `busyPerSecond` calls (counted over
 * the current and the previous 100 ms), a batch goes out at the end of the turn, as with a window of 0: a
 * message or a join at a low rate waits no timer. With a 2 ms window on every read, a room message's p50 was
 * 3.1 ms for one Redis round trip of 0.3 ms (BENCHMARKS.md "Low-rate latency"). Under a storm the calls come
 * faster than that, and the window gathers them as before.
 */
const BUCKET_MS = 100;

export class WindowBatcher<I, O> {
  private readonly pending = new Map<string, { items: I[]; waiters: Array<{ resolve(o: O): void; reject(err: unknown): void }>; cancel: () => void }>();
  /** Calls in the current 100 ms and in the one before it (the load that opens the window). */
  private bucketStart = -Infinity;
  private bucketCalls = 0;
  private previousCalls = 0;

  constructor(
    /** Answers a batch of one key: one output per item, in order. */
    private readonly run: (key: string, items: I[]) => Promise<O[]>,
    private readonly windowMs = 2,
    private readonly maxBatch = 1_000,
    private readonly busyPerSecond = 500,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts a call; true while the calls of the last 100–200 ms come at `busyPerSecond` or faster. */
  private busy(): boolean {
    const now = this.now();
    if (now - this.bucketStart >= BUCKET_MS) {
      this.previousCalls = now - this.bucketStart < 2 * BUCKET_MS ? this.bucketCalls : 0;
      this.bucketStart = now;
      this.bucketCalls = 0;
    }
    this.bucketCalls++;
    return Math.max(this.bucketCalls, this.previousCalls) * (1_000 / BUCKET_MS) >= this.busyPerSecond;
  }

  add(key: string, item: I): Promise<O> {
    const busy = this.busy();
    return new Promise<O>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { items: [], waiters: [], cancel: this.schedule(key, busy ? this.windowMs : 0) };
        this.pending.set(key, batch);
      }
      batch.items.push(item);
      batch.waiters.push({ resolve, reject });
      if (batch.items.length >= this.maxBatch) this.flush(key);
    });
  }

  private schedule(key: string, windowMs: number): () => void {
    if (windowMs === 0) {
      const immediate = setImmediate(() => this.flush(key));
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(() => this.flush(key), windowMs);
    return () => clearTimeout(timer);
  }

  private flush(key: string): void {
    const batch = this.pending.get(key);
    if (!batch) return;
    this.pending.delete(key);
    batch.cancel();
    let answered: Promise<O[]>;
    try {
      answered = this.run(key, batch.items);
    } catch (err) {
      answered = Promise.reject(err);
    }
    answered.then(
      (outs) => batch.waiters.forEach((w, i) => w.resolve(outs[i] as O)),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    );
  }
}

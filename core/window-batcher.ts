/**
 * Coalesces calls made within a short window into one batched operation per key, as the notification
 * backlog loader does for PostgreSQL: `add(key, item)` resolves with the batch's answer for that item. A
 * batch goes out `windowMs` after its first item (`0`: at the end of the current turn of the event loop,
 * setImmediate, so everything the turn's I/O callbacks asked for goes together and waits no timer), or at
 * once when it reaches `maxBatch`; items of one key
 * keep their order, and a failed batch rejects each of its items. Used on the connect path, where a storm
 * makes one round trip per socket the cost.
 */
export class WindowBatcher<I, O> {
  private readonly pending = new Map<string, { items: I[]; waiters: Array<{ resolve(o: O): void; reject(err: unknown): void }>; cancel: () => void }>();

  constructor(
    /** Answers a batch of one key: one output per item, in order. */
    private readonly run: (key: string, items: I[]) => Promise<O[]>,
    private readonly windowMs = 2,
    private readonly maxBatch = 1_000,
  ) {}

  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { items: [], waiters: [], cancel: this.schedule(key) };
        this.pending.set(key, batch);
      }
      batch.items.push(item);
      batch.waiters.push({ resolve, reject });
      if (batch.items.length >= this.maxBatch) this.flush(key);
    });
  }

  private schedule(key: string): () => void {
    if (this.windowMs === 0) {
      const immediate = setImmediate(() => this.flush(key));
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(() => this.flush(key), this.windowMs);
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

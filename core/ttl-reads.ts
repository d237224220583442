interface Entry<T> {
  /** Reuse the answer until this time (ms since the epoch), counted from when the read was sent. */
  until: number;
  value: Promise<T>;
  settled: boolean;
}

/**
 * Reads shared per key for a short time: the node-local cache in front of a store on a storm path (a
 * reconnect storm's rejoins and syncs each asking for the same room or conversation at once).
 *
 * Guarantees:
 * - **At most one read in flight per key.** A `get` while a read of its key is in flight shares that read,
 *   however long it takes; `read` is not called.
 * - **TTL.** An answered read is reused until `ttlMs` after it was sent, so an answer is at most `ttlMs`
 *   older than the caller's ask plus the read's own duration; after that the next `get` reads again.
 * - **Failures are not cached.** A read that fails (rejects or throws) fails its sharers and is dropped,
 *   so the next `get` reads again; a failed read never drops a newer entry of its key.
 * - **Bounded size.** At most `maxEntries` keys are held: when full, answered entries are dropped; only if
 *   more than half of the bound are reads in flight is everything dropped (their callers still get their
 *   answers, and the next `get` of such a key reads again).
 */
export class TtlReads<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && (!hit.settled || hit.until > now)) return hit.value;
    if (!hit && this.entries.size >= this.maxEntries) this.makeRoom();
    let value: Promise<T>;
    try {
      value = read();
    } catch (err) {
      value = Promise.reject(err);
    }
    const entry: Entry<T> = { until: now + this.ttlMs, value, settled: false };
    this.entries.set(key, entry);
    value.then(
      () => void (entry.settled = true),
      () => {
        entry.settled = true;
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  /** Keys held now (answered or in flight). */
  get size(): number {
    return this.entries.size;
  }

  private makeRoom(): void {
    for (const [key, entry] of this.entries) if (entry.settled) this.entries.delete(key);
    if (this.entries.size > this.maxEntries / 2) this.entries.clear();
  }
}

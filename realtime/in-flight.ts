/**
 * Work a node started and does not wait for (a disconnect's presence and quota writes), counted so its
 * close can wait for it before the connections under it close. A drain closes its last batches just before
 * the node closes Redis: their presence writes failed ("None of startup nodes is available", 266 in a
 * 10,000-client chaos drain), the sessions stayed and their users read online until another node reaped
 * them. At most `maxMs`: a write that hangs must not hold the shutdown.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** Counts `work` until it settles; returns it. */
  track<T>(work: Promise<T>): Promise<T> {
    const entry = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(entry);
    void entry.then(() => this.pending.delete(entry));
    return work;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every tracked work has settled (including work tracked meanwhile), or after `maxMs`. */
  async settled(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.pending), new Promise<void>((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
  }
}

const MAX_STREAMS = 10_000;
const PER_STREAM = 8;

interface Read {
  after: number;
  limit: number;
  until: number;
  rows: Promise<Array<{ seq: number }>>;
  /** Set once the read answered with fewer rows than its limit: it holds every stored row after `after`. */
  complete?: boolean;
}

/**
 * The database reads of recoveries (a room's or a conversation's messages after `since`) shared per node.
 * A reconnect storm sends a node every rejoin of a dead node's clients at once, each with `since`; when
 * the recent history (Redis) cannot vouch for the range — a seq that the dead node took and never
 * published leaves a hole there, and every rejoin across it reads the database — each rejoin was its own
 * query, and the pool (10 connections) answered the storm with "timeout exceeded when trying to connect"
 * (5000) for seconds. Here, concurrent reads of one stream from one seq share one query, and for `ttlMs`
 * (default 2 s) a read that came back complete (fewer rows than its limit) answers any later read of the
 * stream from a seq at or after its own, filtered.
 *
 * Staleness: a reused answer misses rows stored after it was read — those are the newest seqs, which the
 * recent history holds (the publisher writes it before acking); a row missing from both is reported the
 * way a hole is (`recovered: false`), never invented. Keys are the stream keys (tenant inside).
 */
export class RecoveryReads {
  private readonly streams = new Map<string, Read[]>();

  constructor(private readonly ttlMs = 2_000) {}

  read<T extends { seq: number }>(stream: string, after: number, limit: number, load: (after: number, limit: number) => Promise<T[]>): Promise<T[]> {
    const now = Date.now();
    const reads = (this.streams.get(stream) ?? []).filter((r) => r.until > now);
    const same = reads.find((r) => r.after === after && r.limit >= limit);
    if (same) return same.rows.then((rows) => (rows as T[]).slice(0, limit));
    const wider = reads.find((r) => r.complete === true && r.after <= after);
    if (wider) return wider.rows.then((rows) => (rows as T[]).filter((m) => m.seq > after).slice(0, limit));
    const read: Read = { after, limit, until: now + this.ttlMs, rows: load(after, limit) };
    read.rows.then(
      (rows) => void (read.complete = rows.length < limit),
      () => this.forget(stream, read),
    );
    if (!this.streams.has(stream) && this.streams.size >= MAX_STREAMS) this.streams.clear();
    this.streams.set(stream, [read, ...reads].slice(0, PER_STREAM));
    return read.rows as Promise<T[]>;
  }

  private forget(stream: string, read: Read): void {
    const left = (this.streams.get(stream) ?? []).filter((r) => r !== read);
    if (left.length > 0) this.streams.set(stream, left);
    else this.streams.delete(stream);
  }
}

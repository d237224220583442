const MAX_STREAMS = 10_000;
const PER_STREAM = 8;
/** Reads start at a multiple of this below the asked seq, so rejoiners with nearby `since`s share one. */
const BUCKET = 100;

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
 * (5000) for seconds. Here a read starts at the multiple of BUCKET below the asked seq (rejoiners' `since`s
 * differ by the few messages each saw last), and for `ttlMs` (default 2 s) a read — in flight or answered —
 * that holds everything after its start (fewer rows than its limit) answers every later read of the stream
 * from a seq at or after its start, filtered; a truncated one is not reused.
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
    const from = (rows: Array<{ seq: number }>): T[] => (rows as T[]).filter((m) => m.seq > after).slice(0, limit);
    // a read from this seq or before, answered or in flight, that holds (or may hold) everything after it
    const covering = reads.find((r) => r.after <= after && r.complete !== false);
    if (covering) return covering.rows.then((rows) => (covering.complete === true || rows.length < covering.limit ? from(rows) : load(after, limit)));
    const start = after - (after % BUCKET);
    const size = limit + (after - start);
    const read: Read = { after: start, limit: size, until: now + this.ttlMs, rows: load(start, size) };
    read.rows.then(
      (rows) => void (read.complete = rows.length < size),
      () => this.forget(stream, read),
    );
    if (!this.streams.has(stream) && this.streams.size >= MAX_STREAMS) this.streams.clear();
    this.streams.set(stream, [read, ...reads].slice(0, PER_STREAM));
    return read.rows.then(from);
  }

  private forget(stream: string, read: Read): void {
    const left = (this.streams.get(stream) ?? []).filter((r) => r !== read);
    if (left.length > 0) this.streams.set(stream, left);
    else this.streams.delete(stream);
  }
}

/** A message of an ordered stream (a room or a conversation): `seq` is contiguous per stream. */
export interface Sequenced {
  id: string;
  seq: number;
}

const OWN = Symbol("own");

/** How many given-up seqs a stream remembers (the newest), to deliver their messages should they still come. */
export const MAX_SKIPPED = 1_000;

/**
 * Gap-free, duplicate-free, in-order delivery of one stream's messages, whatever order they arrive in
 * (live fan-out from several nodes, recovery acks, resend acks).
 *
 * `lastSeq` is the high-water mark: every seq up to it was delivered (or was this client's own message,
 * which is never delivered: the sender learns it from its ack). A message at or below it is a duplicate
 * and dropped; one above `lastSeq + 1` waits in `pending` until the hole fills (`hasGap()` tells the owner
 * to fetch it) or the owner gives up on the hole (`skipGap`). While `holding` (a recovery in progress),
 * live messages only wait.
 *
 * A seq given up on is not always gone: a message numbered before the ones that arrived can still be on its
 * way (its node waits for Kafka's acknowledgement, or its sender resends it through another node after its
 * node died, with the same seq). Such a message is delivered when it comes — late, after higher seqs, once
 * (`onLate` tells the owner) — instead of being dropped as a duplicate. The stream remembers the newest
 * MAX_SKIPPED seqs it gave up on.
 */
export class SeqStream<M extends Sequenced> {
  private last: number | undefined;
  private readonly pending = new Map<number, M | typeof OWN>();
  private holding = false;
  /** Seqs given up on that have not arrived since, oldest first (a Set keeps insertion order). */
  private readonly skipped = new Set<number>();

  constructor(
    private readonly deliver: (message: M) => void,
    baseline?: number,
    private readonly onLate: (message: M) => void = () => undefined,
  ) {
    this.last = baseline;
  }

  /** The highest seq with everything up to it delivered; undefined before the first message (no baseline). */
  get lastSeq(): number | undefined {
    return this.last;
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** Sets the baseline when none is known yet (`since` of a join); never moves an existing one back. */
  setBaseline(seq: number): void {
    if (this.last === undefined || seq > this.last) {
      this.last = seq;
      for (const s of [...this.pending.keys()]) if (s <= seq) this.pending.delete(s);
      this.drain();
    }
  }

  /** A message received live; returns false when dropped as a duplicate. */
  receive(message: M): boolean {
    return this.add(message.seq, message);
  }

  /** This client's own acked message: counted, never delivered. */
  own(seq: number): void {
    this.add(seq, OWN);
  }

  /** Stops delivering (a recovery starts); messages keep arriving into `pending`. */
  hold(): void {
    this.holding = true;
  }

  /**
   * Ends a recovery with the messages it fetched: merges them (those `isOwn` recognises as this
   * client's count as own), releases, delivers what is contiguous. Returns how many messages were delivered.
   */
  release(fetched: readonly M[] = [], isOwn: (message: M) => boolean = () => false): number {
    for (const m of fetched) {
      if (this.last !== undefined && m.seq <= this.last) this.late(m.seq, isOwn(m) ? OWN : m);
      else if (!this.pending.has(m.seq)) this.add(m.seq, isOwn(m) ? OWN : m, true);
    }
    this.holding = false;
    return this.drain();
  }

  /** Whether a message of this seq waits behind a hole (received, not yet delivered). */
  waiting(seq: number): boolean {
    return this.pending.has(seq);
  }

  /** True when messages wait behind a hole. */
  hasGap(): boolean {
    return !this.holding && this.pending.size > 0;
  }

  /**
   * Gives up on the hole: jumps to just before the first waiting message and delivers from there. Returns
   * the seqs skipped and how many messages that delivered. With `through`, gives up no seq above it (a hole
   * reaching past it is given up only up to it), and gives up the seqs up to it even when nothing waits
   * behind them (a recovery's answer said they exist).
   */
  skipGap(through = Number.POSITIVE_INFINITY): { from: number; to: number; delivered: number } | undefined {
    if (this.last === undefined || (this.pending.size === 0 && !Number.isFinite(through))) return undefined;
    const first = Math.min(...this.pending.keys(), through + 1);
    const skipped = { from: this.last + 1, to: first - 1 };
    for (let seq = Math.max(skipped.from, skipped.to - MAX_SKIPPED + 1); seq <= skipped.to; seq++) this.skipped.add(seq);
    for (const seq of this.skipped) {
      if (this.skipped.size <= MAX_SKIPPED) break;
      this.skipped.delete(seq);
    }
    this.last = Math.max(this.last, first - 1);
    const delivered = this.drain();
    return skipped.to >= skipped.from ? { ...skipped, delivered } : undefined;
  }

  private add(seq: number, entry: M | typeof OWN, quiet = false): boolean {
    if (this.last === undefined) this.last = seq - 1; // first sight without a baseline
    if (seq <= this.last) return this.late(seq, entry);
    const held = this.pending.get(seq);
    if (held !== undefined) return false;
    this.pending.set(seq, entry);
    if (!this.holding && !quiet) this.drain();
    return true;
  }

  /** A seq at or below the high-water mark: delivered if it was given up on and has not come since, else a duplicate. */
  private late(seq: number, entry: M | typeof OWN): boolean {
    if (!this.skipped.delete(seq)) return false;
    if (entry !== OWN) {
      this.deliver(entry);
      this.onLate(entry);
    }
    return true;
  }

  private drain(): number {
    if (this.holding || this.last === undefined) return 0;
    let delivered = 0;
    for (let next = this.pending.get(this.last + 1); next !== undefined; next = this.pending.get(this.last + 1)) {
      this.pending.delete(this.last + 1);
      this.last += 1;
      if (next !== OWN) {
        delivered++;
        this.deliver(next);
      }
    }
    return delivered;
  }
}

/** The longest a hole waits, as a multiple of the configured `gapWaitMs` (500 ms → 8 s). */
export const GAP_WAIT_MAX_FACTOR = 16;
/** Without a new sign of late messages for this long, the wait halves back toward the configured one. */
export const GAP_WAIT_DECAY_MS = 30_000;

/**
 * How long a hole in a live stream waits before it is fetched, learned from what the fetches found.
 *
 * A hole is usually a message still on its way, not a lost one: under load a room's messages reach the
 * members out of order by as much as their nodes are behind (seconds), because each is broadcast when its
 * own node has Kafka's acknowledgement. A fetch of such a hole is work for nothing, for the fetching client
 * and for a server that is already behind: at 1,000 msgs/s on the chaos cluster, members fetched 37,114
 * holes in 100 s, as many room:join requests as messages. So each sign that a fetch was not needed — the
 * server answered that the missing seq is still on its way (`pending`), or the live copy of a message the
 * fetch brought arrived after it — doubles the wait, up to GAP_WAIT_MAX_FACTOR× the configured one; after
 * GAP_WAIT_DECAY_MS without such a sign it halves, back down to the configured wait. A message lost for real
 * (a pub/sub delivery dropped in a Redis failover) is then fetched later under load, never not at all.
 */
export class GapWait {
  private waitMs: number;
  private lastSignAt: number;

  constructor(
    private readonly baseMs: number,
    private readonly now: () => number,
  ) {
    this.waitMs = baseMs;
    this.lastSignAt = now();
  }

  /** The wait for a hole seen now. */
  get ms(): number {
    const now = this.now();
    while (this.waitMs > this.baseMs && now - this.lastSignAt >= GAP_WAIT_DECAY_MS) {
      this.waitMs = Math.max(this.baseMs, this.waitMs / 2);
      this.lastSignAt += GAP_WAIT_DECAY_MS;
    }
    return this.waitMs;
  }

  /** A fetch was not needed: what it looked for was on its way. */
  fetchedTooSoon(): void {
    this.waitMs = Math.min(this.baseMs * GAP_WAIT_MAX_FACTOR, this.ms * 2);
    this.lastSignAt = this.now();
  }
}

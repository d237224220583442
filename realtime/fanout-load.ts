/** Length of one counting slot, ms: the recent rate is this slot plus the one before it (100–200 ms). */
const SLOT_MS = 100;

/**
 * A node's recent fan-out (deliveries = broadcasts × recipients over the last 100–200 ms), from which the
 * fan-out windows (realtime/uws-publish.ts, realtime/ws-publish.ts) decide whether to open: below their
 * threshold every broadcast is written at once, so a quiet room pays no window latency.
 */
export class RecentDeliveries {
  private slotStart = 0;
  private current = 0;
  private previous = 0;

  /** Adds `deliveries` to the current slot; returns the deliveries of this slot and the previous one. */
  add(deliveries: number, now = performance.now()): number {
    if (now - this.slotStart >= SLOT_MS) {
      this.previous = now - this.slotStart >= 2 * SLOT_MS ? 0 : this.current;
      this.current = 0;
      this.slotStart = now;
    }
    this.current += deliveries;
    return this.current + this.previous;
  }
}

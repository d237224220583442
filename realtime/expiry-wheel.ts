/**
 * Deadlines of many items at one-second resolution on a single timer: items are kept in buckets by the
 * second they fall due, and one interval (unref'd, running only while anything is armed) walks the
 * seconds that have passed, calling `onDue` for each item of their buckets. An item fires at most once
 * per arming, between its deadline and one second after it; re-arming moves it, disarming drops it.
 * Replaces a timer (and its closure) per item — per socket, a token's expiry — with a map entry.
 */
export class ExpiryWheel<T extends object> {
  private readonly buckets = new Map<number, Set<T>>();
  private readonly dueAt = new WeakMap<T, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The last second walked. */
  private walked = 0;
  private armed = 0;

  constructor(
    private readonly onDue: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms (or moves) the item's deadline, ms since the epoch. */
  arm(item: T, atMs: number): void {
    this.disarm(item);
    if (this.armed === 0) this.walked = Math.max(this.walked, Math.floor(this.now() / 1000) - 1);
    const second = Math.max(Math.ceil(atMs / 1000), this.walked + 1);
    let bucket = this.buckets.get(second);
    if (!bucket) this.buckets.set(second, (bucket = new Set()));
    bucket.add(item);
    this.dueAt.set(item, second);
    if (this.armed++ === 0) this.start();
  }

  disarm(item: T): void {
    const second = this.dueAt.get(item);
    if (second === undefined) return;
    this.dueAt.delete(item);
    const bucket = this.buckets.get(second);
    if (bucket?.delete(item)) {
      if (bucket.size === 0) this.buckets.delete(second);
      if (--this.armed === 0) this.stop();
    }
  }

  /** Items armed. */
  get size(): number {
    return this.armed;
  }

  private start(): void {
    this.timer = setInterval(() => this.tick(), 1_000);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Math.floor(this.now() / 1000);
    for (let s = this.walked + 1; s <= now; s++) {
      const bucket = this.buckets.get(s);
      this.walked = s;
      if (!bucket) continue;
      this.buckets.delete(s);
      for (const item of bucket) {
        this.dueAt.delete(item);
        if (--this.armed === 0) this.stop();
        this.onDue(item);
      }
    }
  }
}

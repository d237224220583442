/**
 * Allocates per-room sequence numbers. `next` is atomic across every node sharing the store: each call
 * returns a number one higher than the last for that key, so a room's messages are numbered 1, 2, 3 …
 * A key the store has not seen starts after `seed(key)` (the highest number already persisted).
 */
export interface SequenceStore {
  /**
   * The key's next number. `numbered` gets it as soon as the store has taken it, once, before the promise
   * resolves: a store that confirms a number before handing it out (the Redis one waits for a replica) lets
   * the caller mark the number as taken meanwhile, while other nodes can already see the counter past it.
   */
  next(key: string, numbered?: (n: number) => void): Promise<number>;
  /** The last number handed out for a key (seeded like `next`), without taking one. */
  current(key: string): Promise<number>;
}

/** Highest sequence already persisted for a key (0 when none). */
export type SequenceSeed = (key: string) => Promise<number>;

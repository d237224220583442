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
   *
   * With `id` (a message's): one number per id. The first call takes a number and records it for the id in
   * the same atomic step; every later call for that id on that key (any node, within
   * NUMBERED_ID_TTL_SECONDS) gets that number again and takes none. A message whose first attempt took a
   * number and then never published it (its node died before the reply reached it, or its claim lapsed or
   * was taken over) is published under that number by whichever attempt comes next, so it is never left a
   * hole, and a first attempt that did reach the bus and the attempt after it name the same seq.
   */
  next(key: string, numbered?: (n: number) => void, id?: string): Promise<number>;
  /** The last number handed out for a key (seeded like `next`), without taking one. */
  current(key: string): Promise<number>;
}

/**
 * How long a message id keeps its number (`next`): well past an open claim's 40 s (realtime/keyed-once.ts)
 * and a reconnect storm's slowest client back (about 30 s) before it resends.
 */
export const NUMBERED_ID_TTL_SECONDS = 120;

/** Highest sequence already persisted for a key (0 when none). */
export type SequenceSeed = (key: string) => Promise<number>;

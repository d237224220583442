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
   * With `id` (a message's), the number is recorded for it atomically with taking it (`numberedFor`).
   */
  next(key: string, numbered?: (n: number) => void, id?: string): Promise<number>;
  /**
   * The number `next` took for message `id` on `key` (undefined when none, or after NUMBERED_ID_TTL_SECONDS).
   * The store records it in the same atomic step as it takes the number, so it is there even when the caller
   * died before it saw the number: a keyed resend taking over from that caller publishes the message under
   * this number instead of leaving it a hole.
   */
  numberedFor(key: string, id: string): Promise<number | undefined>;
  /** The last number handed out for a key (seeded like `next`), without taking one. */
  current(key: string): Promise<number>;
}

/** How long a number taken for a message id stays findable (`numberedFor`): past an open claim's 40 s. */
export const NUMBERED_ID_TTL_SECONDS = 60;

/** Highest sequence already persisted for a key (0 when none). */
export type SequenceSeed = (key: string) => Promise<number>;

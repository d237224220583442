/**
 * `claimed` carries `staged` when the claim is taken after an earlier claimant staged work and gave the
 * claim up (`unclaim`) or was taken over: the new claimant must redo exactly that work.
 */
export type Claim = { state: "claimed"; staged?: string } | { state: "pending"; owner: string } | { state: "done"; result: string };

/**
 * Small cluster-wide keyed state: idempotency claims, mutes and connection leases.
 *
 * Guarantees: every method is atomic across nodes sharing the store; values expire after their ttl.
 */
export interface KeyedState {
  /**
   * Claims `key` for `ttlSeconds`: `claimed` for the first caller, `pending` (with the claimant) while
   * that claim is open, `done` with the result once it completed. Used for client idempotency keys.
   */
  claim(key: string, ttlSeconds: number, owner: string): Promise<Claim>;
  /** Replaces an open claim whose owner is gone (its node died) with a claim of `owner`; returns what that owner had staged. */
  takeOver(key: string, ttlSeconds: number, owner: string): Promise<{ staged?: string }>;
  /**
   * Records on the open claim of `owner` the work it is about to do (an idempotent send: the event with its
   * seq), before doing it: whoever claims `key` next, after `unclaim` or `takeOver`, or once the open claim
   * lapsed (`ttlSeconds`; the staged work itself is kept 10 min), gets it back.
   */
  stage(key: string, ttlSeconds: number, owner: string, staged: string): Promise<void>;
  /**
   * Gives up an open claim without a result. With `staged`, that is kept for `ttlSeconds` and the next
   * `claim` answers `claimed` with it (atomically: one claimant gets it); without, like `release`.
   */
  unclaim(key: string, ttlSeconds: number, staged?: string): Promise<void>;
  complete(key: string, result: string, ttlSeconds: number): Promise<void>;
  /** Drops a claim (or any flag). */
  release(key: string): Promise<void>;
  /** Sets a flag for `ttlSeconds`. */
  flag(key: string, ttlSeconds: number): Promise<void>;
  isFlagged(key: string): Promise<boolean>;
  /**
   * Takes a lease for `id` in `scope` when fewer than `limit` unexpired leases exist (an id holding one
   * renews it). Returns whether it was granted and the count after.
   */
  lease(scope: string, id: string, limit: number, ttlMs: number): Promise<{ granted: boolean; count: number }>;
  renewLeases(scope: string, ids: string[], ttlMs: number): Promise<void>;
  dropLease(scope: string, id: string): Promise<void>;
  leaseCount(scope: string): Promise<number>;
}

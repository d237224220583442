export type Claim = { state: "claimed" } | { state: "pending"; owner: string } | { state: "done"; result: string };

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
  /** Replaces an open claim whose owner is gone (its node died) with a claim of `owner`. */
  takeOver(key: string, ttlSeconds: number, owner: string): Promise<void>;
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

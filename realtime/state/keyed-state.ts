/**
 * `claimed` carries `staged` when the claim is taken after an earlier claimant staged work and gave the
 * claim up (`unclaim`) or was taken over: the new claimant must redo exactly that work.
 */
export type Claim = { state: "claimed"; staged?: string } | { state: "pending"; owner: string } | { state: "done"; result: string };

/** The answer to a take of a held count: whether it was granted, and the scope's total after it. */
export interface CountTake {
  granted: boolean;
  count: number;
}

/**
 * Small cluster-wide keyed state: idempotency claims, mutes, leases and node-held counts (connection quotas).
 *
 * Guarantees: every method is atomic across nodes sharing the store; values expire after their ttl.
 */
export interface KeyedState {
  /**
   * Claims `key` for `ttlSeconds`: `claimed` for the first caller, `pending` (with the claimant) while
   * that claim is open, `done` with the result once it completed. Used for client idempotency keys.
   */
  claim(key: string, ttlSeconds: number, owner: string): Promise<Claim>;
  /**
   * Replaces the open claim of `from` (its node died) with a claim of `owner`: `claimed`, with what `from` had
   * staged. Only while `key` still holds `from`'s open claim; otherwise it answers as `claim` would (`done` once
   * that claim completed meanwhile, `pending` for another claimant's): a take-over decided on a read that the
   * key has since moved past (the node was only cut off, and its late complete landed) must not replace a
   * result or another node's claim.
   */
  takeOver(key: string, ttlSeconds: number, owner: string, from: string): Promise<Claim>;
  /**
   * Records on the open claim of `owner` the work it is about to do (an idempotent send: the event with its
   * seq), before doing it: whoever claims `key` next, after `unclaim` or `takeOver`, or once the open claim
   * lapsed (`ttlSeconds`; the staged work itself is kept 10 min), gets it back.
   * Only while `key` still holds `owner`'s open claim with nothing staged: otherwise (taken over, given up,
   * completed or lapsed meanwhile, e.g. a write of a node cut off from the store that reached it late) it
   * changes nothing and returns false, and the caller must not do the work: the key is another claimant's.
   */
  stage(key: string, ttlSeconds: number, owner: string, staged: string): Promise<boolean>;
  /**
   * Gives up `owner`'s open claim without a result. With `staged`, that is kept for `ttlSeconds` and the next
   * `claim` answers `claimed` with it (atomically: one claimant gets it); without, like `release`. Nothing
   * when the key no longer holds `owner`'s open claim (another claimant's state is left alone).
   */
  unclaim(key: string, ttlSeconds: number, owner: string, staged?: string): Promise<void>;
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

  /*
   * Held counts: per scope, each holder (a realtime node) has one count of its own, and the scope's total
   * is the sum of the holders' live counts. A holder's count lives `ttlMs` after its last take or hold:
   * a holder that stops holding (a node that died) stops counting within `ttlMs`, with nothing to release.
   * Keeping a count costs one `holdCount` per scope per holder, whatever the count (a node renews its
   * connections per school, not per socket). All four are atomic across the holders sharing the store.
   */
  /**
   * Adds 1 to `holder`'s count when the scope's total is below `limit` (lapsed holders dropped first);
   * returns whether it was granted and the total after. Takes of one holder are applied in call order.
   */
  takeCount(scope: string, holder: string, limit: number, ttlMs: number): Promise<CountTake>;
  /** Takes 1 from `holder`'s count (never below 0; nothing when its count lapsed). */
  dropCount(scope: string, holder: string): Promise<void>;
  /**
   * Keeps `holder`'s count alive for another `ttlMs`. With `count`, sets it first (0 removes the holder): the
   * holder's own figure corrects any drift (a drop that never reached the store, a count that had lapsed
   * while the holder was cut off). Without it, only the life is extended (nothing when the count lapsed).
   */
  holdCount(scope: string, holder: string, ttlMs: number, count?: number): Promise<void>;
  /** The scope's total over live holders. */
  countTotal(scope: string): Promise<number>;
}

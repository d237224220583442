import type { RevocationStore } from "./revocation-store";

/** Entries kept before a full sweep of expired ones (each is a few dozen bytes). */
const SWEEP_AT = 50_000;

/**
 * A per-node read cache in front of a RevocationStore, for the REST bearer check: an answer (a moment
 * or "none") is reused for at most `ttlMs` (1 s by default), so a revocation written on any node is in
 * force on this one within `ttlMs` plus the store's own latency — inside the 2 s bound — without a
 * store round trip per request. Writes through this cache are in force here at once.
 */
export class CachedRevocations implements RevocationStore {
  private readonly entries = new Map<string, { moment: number | undefined; until: number }>();

  constructor(
    private readonly store: RevocationStore,
    private readonly ttlMs = 1_000,
  ) {}

  async revoke(tenant: string, user: string, before: number): Promise<number> {
    const moment = await this.store.revoke(tenant, user, before);
    this.remember(`${tenant}\u0000${user}`, moment);
    return moment;
  }

  async revokedBefore(tenant: string, user: string): Promise<number | undefined> {
    const key = `${tenant}\u0000${user}`;
    const hit = this.entries.get(key);
    if (hit && hit.until > Date.now()) return hit.moment;
    const moment = await this.store.revokedBefore(tenant, user);
    this.remember(key, moment);
    return moment;
  }

  private remember(key: string, moment: number | undefined): void {
    const now = Date.now();
    if (this.entries.size >= SWEEP_AT) for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
    if (this.entries.size >= SWEEP_AT) this.entries.clear();
    this.entries.set(key, { moment, until: now + this.ttlMs });
  }
}

import type { Claim, CountTake, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";

/** In-process KeyedState (embedded default, one node). */
export class MemoryKeyedState implements KeyedState {
  private readonly values = new Map<string, { value: string; expires: number }>();
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly counts = new Map<string, Map<string, { count: number; expires: number }>>();

  private get(key: string): string | undefined {
    const v = this.values.get(key);
    if (v && v.expires > Date.now()) return v.value;
    this.values.delete(key);
    return undefined;
  }

  async claim(key: string, ttlSeconds: number, owner: string): Promise<Claim> {
    const v = this.get(key);
    if (v === undefined) {
      this.values.set(key, { value: PENDING + owner, expires: Date.now() + ttlSeconds * 1000 });
      return { state: "claimed" };
    }
    return v.startsWith(PENDING) ? { state: "pending", owner: v.slice(PENDING.length) } : { state: "done", result: v };
  }

  async takeOver(key: string, ttlSeconds: number, owner: string): Promise<void> {
    this.values.set(key, { value: PENDING + owner, expires: Date.now() + ttlSeconds * 1000 });
  }

  async complete(key: string, result: string, ttlSeconds: number): Promise<void> {
    this.values.set(key, { value: result, expires: Date.now() + ttlSeconds * 1000 });
  }

  async release(key: string): Promise<void> {
    this.values.delete(key);
  }

  async flag(key: string, ttlSeconds: number): Promise<void> {
    this.values.set(key, { value: "1", expires: Date.now() + ttlSeconds * 1000 });
  }

  async isFlagged(key: string): Promise<boolean> {
    return this.get(key) !== undefined;
  }

  private live(scope: string): Map<string, number> {
    const m = this.leases.get(scope) ?? new Map<string, number>();
    this.leases.set(scope, m);
    for (const [id, exp] of m) if (exp <= Date.now()) m.delete(id);
    return m;
  }

  async lease(scope: string, id: string, limit: number, ttlMs: number): Promise<{ granted: boolean; count: number }> {
    const m = this.live(scope);
    if (!m.has(id) && m.size >= limit) return { granted: false, count: m.size };
    m.set(id, Date.now() + ttlMs);
    return { granted: true, count: m.size };
  }

  async renewLeases(scope: string, ids: string[], ttlMs: number): Promise<void> {
    const m = this.live(scope);
    for (const id of ids) if (m.has(id)) m.set(id, Date.now() + ttlMs);
  }

  async dropLease(scope: string, id: string): Promise<void> {
    this.leases.get(scope)?.delete(id);
  }

  async leaseCount(scope: string): Promise<number> {
    return this.live(scope).size;
  }

  /** The scope's live holders (lapsed ones dropped). */
  private holders(scope: string): Map<string, { count: number; expires: number }> {
    const m = this.counts.get(scope) ?? new Map<string, { count: number; expires: number }>();
    this.counts.set(scope, m);
    const now = Date.now();
    for (const [holder, c] of m) if (c.expires <= now) m.delete(holder);
    return m;
  }

  private static total(m: Map<string, { count: number }>): number {
    let total = 0;
    for (const c of m.values()) total += c.count;
    return total;
  }

  async takeCount(scope: string, holder: string, limit: number, ttlMs: number): Promise<CountTake> {
    const m = this.holders(scope);
    const total = MemoryKeyedState.total(m);
    const mine = m.get(holder) ?? { count: 0, expires: 0 };
    mine.expires = Date.now() + ttlMs;
    m.set(holder, mine);
    if (total >= limit) return { granted: false, count: total };
    mine.count++;
    return { granted: true, count: total + 1 };
  }

  async dropCount(scope: string, holder: string): Promise<void> {
    const mine = this.holders(scope).get(holder);
    if (mine && mine.count > 0) mine.count--;
  }

  async holdCount(scope: string, holder: string, ttlMs: number, count?: number): Promise<void> {
    const m = this.holders(scope);
    if (count === 0) return void m.delete(holder);
    const mine = m.get(holder);
    if (count !== undefined) m.set(holder, { count, expires: Date.now() + ttlMs });
    else if (mine) mine.expires = Date.now() + ttlMs;
  }

  async countTotal(scope: string): Promise<number> {
    return MemoryKeyedState.total(this.holders(scope));
  }
}

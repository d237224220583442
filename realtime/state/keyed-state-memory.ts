import type { Claim, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";

/** In-process KeyedState (embedded default, one node). */
export class MemoryKeyedState implements KeyedState {
  private readonly values = new Map<string, { value: string; expires: number }>();
  private readonly leases = new Map<string, Map<string, number>>();

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
}

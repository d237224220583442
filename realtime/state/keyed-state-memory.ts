import type { Claim, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";
const FREE = "\u0000free:";
const SEP = "\u0000";

/** An open claim's value: `PENDING owner [SEP staged]`. */
function parsePending(v: string): { owner: string; staged?: string } {
  const rest = v.slice(PENDING.length);
  const at = rest.indexOf(SEP);
  return at < 0 ? { owner: rest } : { owner: rest.slice(0, at), staged: rest.slice(at + 1) };
}

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
    if (v.startsWith(FREE)) {
      const staged = v.slice(FREE.length);
      this.values.set(key, { value: PENDING + owner + SEP + staged, expires: Date.now() + ttlSeconds * 1000 });
      return { state: "claimed", staged };
    }
    return v.startsWith(PENDING) ? { state: "pending", owner: parsePending(v).owner } : { state: "done", result: v };
  }

  async takeOver(key: string, ttlSeconds: number, owner: string): Promise<{ staged?: string }> {
    const v = this.get(key);
    const staged = v?.startsWith(PENDING) ? parsePending(v).staged : v?.startsWith(FREE) ? v.slice(FREE.length) : undefined;
    this.values.set(key, { value: PENDING + owner + (staged === undefined ? "" : SEP + staged), expires: Date.now() + ttlSeconds * 1000 });
    return staged === undefined ? {} : { staged };
  }

  async stage(key: string, ttlSeconds: number, owner: string, staged: string): Promise<void> {
    this.values.set(key, { value: PENDING + owner + SEP + staged, expires: Date.now() + ttlSeconds * 1000 });
  }

  async unclaim(key: string, ttlSeconds: number, staged?: string): Promise<void> {
    if (staged === undefined) this.values.delete(key);
    else this.values.set(key, { value: FREE + staged, expires: Date.now() + ttlSeconds * 1000 });
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

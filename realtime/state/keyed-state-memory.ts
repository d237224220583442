import type { Claim, CountTake, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";
const FREE = "\u0000free:";
const SEP = "\u0000";

/** Staged work outlives its open claim by this long (as keyed-state-redis.ts). */
const STAGED_KEEP_MS = 600_000;

/** An open claim's value: `PENDING owner`, or with staged work `PENDING owner SEP deadlineMs SEP staged`. */
function parsePending(v: string): { owner: string; staged?: string; deadline?: number } {
  const rest = v.slice(PENDING.length);
  const a = rest.indexOf(SEP);
  if (a < 0) return { owner: rest };
  const b = rest.indexOf(SEP, a + 1);
  return { owner: rest.slice(0, a), deadline: Number(rest.slice(a + 1, b)), staged: rest.slice(b + 1) };
}

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

  /** The staged work of a value and whether its claim is open to a new claimant (given up, or lapsed). */
  private stagedOf(v: string): { staged?: string; open: boolean } {
    if (v.startsWith(FREE)) return { staged: v.slice(FREE.length), open: true };
    if (!v.startsWith(PENDING)) return { open: false };
    const { staged, deadline } = parsePending(v);
    return { staged, open: staged !== undefined && (deadline ?? 0) < Date.now() };
  }

  private put(key: string, owner: string, ttlSeconds: number, staged: string | undefined): void {
    if (staged === undefined) this.values.set(key, { value: PENDING + owner, expires: Date.now() + ttlSeconds * 1000 });
    else this.values.set(key, { value: PENDING + owner + SEP + String(Date.now() + ttlSeconds * 1000) + SEP + staged, expires: Date.now() + STAGED_KEEP_MS });
  }

  async claim(key: string, ttlSeconds: number, owner: string): Promise<Claim> {
    const v = this.get(key);
    if (v === undefined) {
      this.put(key, owner, ttlSeconds, undefined);
      return { state: "claimed" };
    }
    const { staged, open } = this.stagedOf(v);
    if (staged !== undefined && open) {
      this.put(key, owner, ttlSeconds, staged);
      return { state: "claimed", staged };
    }
    return v.startsWith(PENDING) ? { state: "pending", owner: parsePending(v).owner } : { state: "done", result: v };
  }

  async takeOver(key: string, ttlSeconds: number, owner: string, from: string): Promise<Claim> {
    const v = this.get(key);
    if (v === undefined || (v !== PENDING + from && !v.startsWith(PENDING + from + SEP))) return this.claim(key, ttlSeconds, owner);
    const { staged } = parsePending(v);
    this.put(key, owner, ttlSeconds, staged);
    return staged === undefined ? { state: "claimed" } : { state: "claimed", staged };
  }

  async stage(key: string, ttlSeconds: number, owner: string, staged: string): Promise<boolean> {
    if (this.get(key) !== PENDING + owner) return false;
    this.put(key, owner, ttlSeconds, staged);
    return true;
  }

  async unclaim(key: string, ttlSeconds: number, owner: string, staged?: string): Promise<void> {
    const v = this.get(key);
    if (v === undefined || (v !== PENDING + owner && !v.startsWith(PENDING + owner + SEP))) return;
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

import type { RedisClient } from "../../core/redis-client";
import { RedisWindow } from "../../core/redis-window";
import { WindowBatcher } from "../../core/window-batcher";
import type { Claim, CountTake, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";
const FREE = "\u0000free:";
const SEP = "\u0000";

/** Staged work outlives its open claim by this long, so a resend after the claim lapsed still finds it. */
export const STAGED_KEEP_SECONDS = 600;

/**
 * An open claim's value: `PENDING owner`, or with staged work `PENDING owner SEP deadlineMs SEP staged`
 * (kept STAGED_KEEP_SECONDS; past the deadline the claim is open to the next claimant, who gets the work).
 */
function parsePending(v: string): { owner: string; staged?: string } {
  const rest = v.slice(PENDING.length);
  const a = rest.indexOf(SEP);
  if (a < 0) return { owner: rest };
  const b = rest.indexOf(SEP, a + 1);
  return { owner: rest.slice(0, a), staged: rest.slice(b + 1) };
}

/** CLAIM's and TAKE_OVER's reply: {1} or {1, staged} when claimed, else {0, the key's value}. */
function toClaim(reply: unknown): Claim {
  const [claimed, value] = reply as [number, string | undefined];
  if (claimed === 1) return value === undefined ? { state: "claimed" } : { state: "claimed", staged: value };
  const v = value ?? "";
  return v.startsWith(PENDING) ? { state: "pending", owner: parsePending(v).owner } : { state: "done", result: v };
}

// Shared by the scripts: the staged work of a value (false if none), and whether its open claim lapsed.
// ARGV[3] PENDING, ARGV[4] FREE, ARGV[5] SEP, ARGV[6] now (ms)
const STAGED_OF = `
local function staged_of(v)
  if string.sub(v, 1, #ARGV[4]) == ARGV[4] then return string.sub(v, #ARGV[4] + 1), true end
  if string.sub(v, 1, #ARGV[3]) ~= ARGV[3] then return false, false end
  local a = string.find(v, ARGV[5], #ARGV[3] + 1, true)
  if not a then return false, false end
  local b = string.find(v, ARGV[5], a + 1, true)
  return string.sub(v, b + 1), tonumber(string.sub(v, a + 1, b - 1)) < tonumber(ARGV[6])
end
local function put(staged)
  if staged then
    redis.call('SET', KEYS[1], ARGV[1] .. ARGV[5] .. (tonumber(ARGV[6]) + tonumber(ARGV[2]) * 1000) .. ARGV[5] .. staged, 'EX', ARGV[7])
  else
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  end
end`;

// A claim when the key is absent, given up with staged work (FREE), or its open claim with staged work
// lapsed: returns {1} or {1, staged}; else {0, value}. KEYS[1] key; ARGV pending+owner, ttl, PENDING, FREE, SEP, now, keep
const CLAIM_OF = `${STAGED_OF}
local function claim(v)
  if not v then
    put(false)
    return {1}
  end
  local staged, open = staged_of(v)
  if staged and open then
    put(staged)
    return {1, staged}
  end
  return {0, v}
end`;
const CLAIM = `${CLAIM_OF}
return claim(redis.call('GET', KEYS[1]))`;

// Takes the open claim of ARGV[8] (pending+from) over for ARGV[1], keeping its staged work ({1} or {1, staged});
// when the key holds anything else, answers as CLAIM. ARGV as CLAIM's, then ARGV[8].
const TAKE_OVER = `${CLAIM_OF}
local v = redis.call('GET', KEYS[1])
if v and (v == ARGV[8] or string.sub(v, 1, #ARGV[8] + #ARGV[5]) == ARGV[8] .. ARGV[5]) then
  local staged = staged_of(v)
  put(staged)
  if staged then return {1, staged} end
  return {1}
end
return claim(v)`;

// Stages work on the open claim of ARGV[1] (pending+owner) only while the key holds exactly that claim,
// nothing staged yet: returns 1, or 0 and changes nothing. ARGV as CLAIM's, then ARGV[8] the staged work.
const STAGE = `${STAGED_OF}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
put(ARGV[8])
return 1`;

// Gives up the open claim of ARGV[1] (pending+owner, with or without staged work): FREE..ARGV[8] for ARGV[2]
// seconds when ARGV[9] is "1", else deleted. Nothing when the key holds anything else. ARGV as CLAIM's.
const UNCLAIM = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v ~= ARGV[1] and string.sub(v, 1, #ARGV[1] + #ARGV[5]) ~= ARGV[1] .. ARGV[5] then return 0 end
if ARGV[9] == '1' then redis.call('SET', KEYS[1], ARGV[4] .. ARGV[8], 'EX', ARGV[2]) else redis.call('DEL', KEYS[1]) end
return 1`;

// Leases asked for within one window, in order, each as if alone: expired ones dropped, an id holding one
// renews it, a new id is granted while fewer than `limit` are held. KEYS[1] scope; ARGV now, limit, ttl, ids…
const LEASE_MANY = `
local now, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
local out, granted = {}, false
for i = 4, #ARGV do
  local held = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not held and count >= limit then
    out[#out + 1] = 0
  else
    redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
    if not held then count = count + 1 end
    granted = true
    out[#out + 1] = 1
  end
  out[#out + 1] = count
end
if granted then redis.call('PEXPIRE', KEYS[1], ttl * 2) end
return out`;

// Held counts: one hash per scope, field = holder, value = "count:expiry(ms)". Lapsed holders are dropped
// by every script that reads them. KEYS[1] the hash.
const LIVE_HOLDERS = `
local function live(key, now)
  local all = redis.call('HGETALL', key)
  local out = {}
  for i = 1, #all, 2 do
    local c, exp = string.match(all[i + 1], '^(%d+):(%d+)$')
    if c and tonumber(exp) > now then out[all[i]] = tonumber(c) else redis.call('HDEL', key, all[i]) end
  end
  return out
end`;
// ARGV now, limit, ttl, holder, takes: `takes` takes of one holder in order, each granted while the total is below limit.
const TAKE_COUNT = `${LIVE_HOLDERS}
local now, limit, ttl, me, takes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local total, mine = 0, 0
for holder, c in pairs(live(KEYS[1], now)) do
  total = total + c
  if holder == me then mine = c end
end
local out = {}
for i = 1, takes do
  if total < limit then
    total = total + 1
    mine = mine + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
  out[#out + 1] = total
end
redis.call('HSET', KEYS[1], me, mine .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return out`;
const EXISTS = "return redis.call('EXISTS', KEYS[1])";
// ARGV now, holder, drops: takes `drops` from the holder's count (never below 0; nothing when it lapsed).
const DROP_COUNT = `
local v = redis.call('HGET', KEYS[1], ARGV[2])
if not v then return 0 end
local c, exp = string.match(v, '^(%d+):(%d+)$')
if not c or tonumber(exp) <= tonumber(ARGV[1]) or tonumber(c) == 0 then return 0 end
local left = tonumber(c) - tonumber(ARGV[3])
if left < 0 then left = 0 end
redis.call('HSET', KEYS[1], ARGV[2], left .. ':' .. exp)
return 1`;
// ARGV now, ttl, holder, count ('' = keep the count)
const HOLD_COUNT = `
local now, ttl, me = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local count = tonumber(ARGV[4])
if count == nil then
  local v = redis.call('HGET', KEYS[1], me)
  local c, exp = nil, nil
  if v then c, exp = string.match(v, '^(%d+):(%d+)$') end
  if not c or tonumber(exp) <= now then return 0 end
  count = tonumber(c)
end
if count == 0 then
  redis.call('HDEL', KEYS[1], me)
  return 1
end
redis.call('HSET', KEYS[1], me, count .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1`;
// ARGV now
const COUNT_TOTAL = `${LIVE_HOLDERS}
local total = 0
for _, c in pairs(live(KEYS[1], tonumber(ARGV[1]))) do total = total + c end
return total`;

/**
 * KeyedState on Redis: strings with EX for claims and flags, a sorted set (score = expiry) per lease scope.
 * Leases asked for within 2 ms on one scope (a connect storm) are taken by one script call, in order,
 * each exactly as alone (LEASE_MANY). Held counts are one hash per scope (a field per holder, "count:expiry"),
 * one key so a Redis Cluster keeps a scope in one slot; takes of a holder within 2 ms are one script call.
 */
export class RedisKeyedState implements KeyedState {
  private readonly reads: RedisWindow;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.reads = new RedisWindow(redis);
  }

  private k = (key: string): string => `${this.prefix}k:${key}`;
  private readonly leases = new WindowBatcher<string, { granted: boolean; count: number }>(async (batchKey, ids) => {
    const [scope, limit, ttlMs] = batchKey.split("\u0000") as [string, string, string];
    const flat = (await this.redis.eval(LEASE_MANY, 1, this.l(scope), Date.now(), limit, ttlMs, ...ids)) as number[];
    return ids.map((_, i) => ({ granted: flat[2 * i] === 1, count: flat[2 * i + 1]! }));
  });
  private l = (scope: string): string => `${this.prefix}lease:${scope}`;
  private c = (scope: string): string => `${this.prefix}count:${scope}`;
  private readonly takes = new WindowBatcher<null, CountTake>(async (batchKey, items) => {
    const [scope, holder, limit, ttlMs] = batchKey.split("\u0000") as [string, string, string, string];
    const flat = (await this.redis.eval(TAKE_COUNT, 1, this.c(scope), Date.now(), limit, ttlMs, holder, items.length)) as number[];
    return items.map((_, i) => ({ granted: flat[2 * i] === 1, count: flat[2 * i + 1]! }));
  });

  /** Drops of a holder within one window (a class leaving at once, a drain) are one script call, as many drops as asked. */
  private readonly drops = new WindowBatcher<null, void>(async (batchKey, items) => {
    const [scope, holder] = batchKey.split("\u0000") as [string, string];
    await this.redis.eval(DROP_COUNT, 1, this.c(scope), Date.now(), holder, items.length);
    return items.map(() => undefined);
  });

  private args(owner: string, ttlSeconds: number): Array<string | number> {
    return [PENDING + owner, ttlSeconds, PENDING, FREE, SEP, Date.now(), STAGED_KEEP_SECONDS];
  }

  async claim(key: string, ttlSeconds: number, owner: string): Promise<Claim> {
    if ((await this.redis.set(this.k(key), PENDING + owner, "EX", ttlSeconds, "NX")) === "OK") return { state: "claimed" };
    return toClaim(await this.redis.eval(CLAIM, 1, this.k(key), ...this.args(owner, ttlSeconds)));
  }

  async takeOver(key: string, ttlSeconds: number, owner: string, from: string): Promise<Claim> {
    return toClaim(await this.redis.eval(TAKE_OVER, 1, this.k(key), ...this.args(owner, ttlSeconds), PENDING + from));
  }

  async stage(key: string, ttlSeconds: number, owner: string, staged: string): Promise<boolean> {
    return (await this.redis.eval(STAGE, 1, this.k(key), ...this.args(owner, ttlSeconds), staged)) === 1;
  }

  async unclaim(key: string, ttlSeconds: number, owner: string, staged?: string): Promise<void> {
    await this.redis.eval(UNCLAIM, 1, this.k(key), ...this.args(owner, ttlSeconds), staged ?? "", staged === undefined ? "0" : "1");
  }

  async complete(key: string, result: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), result, "EX", ttlSeconds);
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.k(key));
  }

  async flag(key: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), "1", "EX", ttlSeconds);
  }

  /** Through a 2 ms window (one pipeline on one Redis server): every rejoin of a reconnect storm asks for its kick flag. */
  async isFlagged(key: string): Promise<boolean> {
    return (await this.reads.eval(EXISTS, 1, this.k(key))) === 1;
  }

  lease(scope: string, id: string, limit: number, ttlMs: number): Promise<{ granted: boolean; count: number }> {
    return this.leases.add(`${scope}\u0000${limit}\u0000${ttlMs}`, id);
  }

  async renewLeases(scope: string, ids: string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) return;
    const expiry = String(Date.now() + ttlMs);
    const args: string[] = new Array<string>(ids.length * 2);
    for (let i = 0; i < ids.length; i++) {
      args[2 * i] = expiry;
      args[2 * i + 1] = ids[i]!;
    }
    await this.redis.zadd(this.l(scope), "XX", ...args);
    await this.redis.pexpire(this.l(scope), ttlMs * 2);
  }

  async dropLease(scope: string, id: string): Promise<void> {
    await this.redis.zrem(this.l(scope), id);
  }

  async leaseCount(scope: string): Promise<number> {
    await this.redis.zremrangebyscore(this.l(scope), "-inf", Date.now());
    return this.redis.zcard(this.l(scope));
  }

  takeCount(scope: string, holder: string, limit: number, ttlMs: number): Promise<CountTake> {
    return this.takes.add(`${scope}\u0000${holder}\u0000${limit}\u0000${ttlMs}`, null);
  }

  dropCount(scope: string, holder: string): Promise<void> {
    return this.drops.add(`${scope}\u0000${holder}`, null);
  }

  async holdCount(scope: string, holder: string, ttlMs: number, count?: number): Promise<void> {
    await this.redis.eval(HOLD_COUNT, 1, this.c(scope), Date.now(), ttlMs, holder, count === undefined ? "" : count);
  }

  async countTotal(scope: string): Promise<number> {
    return (await this.redis.eval(COUNT_TOTAL, 1, this.c(scope), Date.now())) as number;
  }
}

import { RedisWindow } from "../../core/redis-window";
import { isCluster, type RedisClient } from "../../core/redis-client";
import { TrailingReads } from "../../core/trailing-reads";
import { WindowBatcher } from "../../core/window-batcher";
import { REAP_MARK_MS, type PresenceStatus, type PresenceStore, type SessionRef } from "./presence-store";
import { presenceKeys, presenceNodeKeys } from "../../core/tenant-keys";

const AGGREGATE = `
local function status(key)
  local vals = redis.call('HVALS', key)
  if #vals == 0 then return 'offline' end
  for _, v in ipairs(vals) do if v == 'online' then return 'online' end end
  return 'away'
end`;

/**
 * The Redis server's time in microseconds, as 16 digits (a Lua number would print in 14 significant
 * digits): a session's registration time (field `at`), which a reap compares with the time it claimed the
 * node (REAP_GUARD).
 */
const NOW_US = "local t = redis.call('TIME'); local now = t[1] .. string.format('%06d', tonumber(t[2]))";

/**
 * The Redis server's time in milliseconds (exact in a Lua number). Every liveness time of the node set is the
 * time of the node set's server: a beat counts from when it reached Redis, not from when its node sent it. A
 * beat stamped by its sender that waited seconds in the sender's command queue (a Redis failover backs it up)
 * landed already old, and a reaper took two live nodes for dead while their beats were landing every 5 s.
 */
const NOW_MS = "local tm = redis.call('TIME'); local now_ms = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)";

// KEYS: user hash, session hash; ARGV: sid, tenant, user, node
const CONNECT = `${NOW_US}
local had = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], 'online')
redis.call('HSET', KEYS[2], 'tenant', ARGV[2], 'user', ARGV[3], 'node', ARGV[4], 'at', now)
if had == 0 then return 1 else return 0 end`;

// One Redis server (not a cluster: the node index is in another slot): the node-index entry and the
// session in one script, so a connect is one command in one window. KEYS: user hash, session hash, node
// index; ARGV: sid, tenant, user, node, index member
const CONNECT_INDEXED = `${NOW_US}
redis.call('SADD', KEYS[3], ARGV[5])
local had = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], 'online')
redis.call('HSET', KEYS[2], 'tenant', ARGV[2], 'user', ARGV[3], 'node', ARGV[4], 'at', now)
if had == 0 then return 1 else return 0 end`;

// KEYS: user hash, session hash, session rooms; ARGV: sid, room key prefix, user. The room hashes it
// computes share the school's slot (core/tenant-keys.ts slotTags.presence).
const DISCONNECT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {0} end
local out = {0}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local rk = ARGV[2] .. room
  local n = redis.call('HINCRBY', rk, ARGV[3], -1)
  if n <= 0 then redis.call('HDEL', rk, ARGV[3]); table.insert(out, room) end
end
redis.call('DEL', KEYS[3], KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then out[1] = 1 end
return out`;

// One Redis server only: DISCONNECT, and first the session's entry in its node's index (another slot on a
// cluster, so there it is a command of its own). KEYS and ARGV as DISCONNECT, then ARGV[4] the node index's
// key before the node id, ARGV[5] the session's entry.
const DISCONNECT_INDEXED = `
local node = redis.call('HGET', KEYS[2], 'node')
if node then redis.call('SREM', ARGV[4] .. node, ARGV[5]) end
${DISCONNECT}`;

/**
 * A reap removes a dead node's session only if it was registered before the reap claimed the node: the
 * node, if it was alive after all (a beat delayed past the TTL, say by a Redis failover), finds itself
 * missing and registers its sessions again while the reap still works through the index it read, and
 * those must stay. `{-1}`: spared. A session without `at` (registered by an older version) is reaped.
 * Assumes the Redis servers' clocks agree to well under the node TTL (a cluster's shards each stamp
 * their own sessions). ARGV[n]: the claim's time (NOW_US digits).
 */
const REAP_GUARD = (n: number): string => `
local at = redis.call('HGET', KEYS[2], 'at')
if at and tonumber(at) > tonumber(ARGV[${n}]) then return {-1} end`;

// A dead node's session, guarded (REAP_GUARD). KEYS and ARGV as DISCONNECT, then ARGV[4] the claim's time.
const REAP = `${REAP_GUARD(4)}
${DISCONNECT}`;

// One Redis server: REAP and the session's node-index entry in one script. KEYS and ARGV as
// DISCONNECT_INDEXED, then ARGV[6] the claim's time.
const REAP_INDEXED = `${REAP_GUARD(6)}
${DISCONNECT_INDEXED}`;

// One Redis server: a node-index entry whose session is gone is removed, unless the session is back (the
// node registered it again meanwhile). KEYS: session hash, node index; ARGV: index entry.
const DROP_GONE_ENTRY = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 0`;

/**
 * Claims a dead node for one reaper: removes it from the node set only if its last beat is still older
 * than the node TTL (a beat that came in since the read keeps it), marks it being reaped for the mark's
 * time, and returns the server's time (NOW_US). KEYS: node set, reaping marks; ARGV: node, node TTL (ms),
 * mark for (ms).
 */
const CLAIM = `${NOW_MS}
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not beat or tonumber(beat) >= now_ms - tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now_ms + tonumber(ARGV[3]))
${NOW_US}
return now`;

/** A reaper still at work keeps its mark for ARGV[2] ms more. KEYS: reaping marks; ARGV: node, mark for (ms). */
const KEEP_MARK = `${NOW_MS}
redis.call('HSET', KEYS[1], ARGV[1], now_ms + tonumber(ARGV[2]))
return 0`;

/** The nodes whose last beat is older than the node TTL. KEYS: node set; ARGV: node TTL (ms). */
const DEAD_NODES = `${NOW_MS}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now_ms - tonumber(ARGV[1])))`;

/** 1 if the node beat within the node TTL. KEYS: node set; ARGV: node, node TTL (ms). */
const IS_ALIVE = `${NOW_MS}
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if beat and tonumber(beat) >= now_ms - tonumber(ARGV[2]) then return 1 end
return 0`;

/**
 * A node's beat, stamped with the server's time when it lands: {was missing, being reaped}. A mark past its
 * time is dropped (its reaper stopped). KEYS: node set, reaping marks; ARGV: node.
 */
const HEARTBEAT = `${NOW_MS}
local added = redis.call('ZADD', KEYS[1], now_ms, ARGV[1])
local mark = redis.call('HGET', KEYS[2], ARGV[1])
local reaping = 0
if mark then
  if tonumber(mark) > now_ms then reaping = 1 else redis.call('HDEL', KEYS[2], ARGV[1]) end
end
return {added, reaping}`;

const SET_STATUS = `${AGGREGATE}
local before = status(KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return {before, status(KEYS[1])}`;

// KEYS: session hash, session rooms, room hash; ARGV: room, user
const JOIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('HINCRBY', KEYS[3], ARGV[2], 1) == 1 then return 1 else return 0 end`;

// Reads of a room's member hash, as scripts so they share the connect window (core/redis-window.ts).
const HKEYS = "return redis.call('HKEYS', KEYS[1])";
const HLEN = "return redis.call('HLEN', KEYS[1])";
// …and the single commands of the cluster paths of a disconnect and a reap (a dead node's thousands of sessions)
const HGET = "return redis.call('HGET', KEYS[1], ARGV[1])";
const SREM = "return redis.call('SREM', KEYS[1], ARGV[1])";

/** The key of the node set (live nodes → last beat) of the presence store under `prefix`: one key, so one shard of a cluster. */
export const presenceNodeSetKey = (prefix: string): string => `${prefix}p:${presenceNodeKeys.nodes}`;

/**
 * Sessions reaped concurrently (see reapSessions). Each batch costs three round trips through the connect
 * window on a Redis Cluster (the session's user, the reap, the index entry), each a turn of a survivor's event
 * loop that a reconnect storm keeps behind. With 200 (17 batches for a killed node's 3,334 sessions), its
 * users read online 12–16.5 s after the kill at 100 msgs/s, against 7–9.5 s without messages. With 1,000 (4 batches
 * for 3,360 sessions) the reap took 8.4 s on a loaded survivor, with 5,000 (one batch) 3.2–3.4 s (chaos runs of
 * 2026-12-01 18:06–18:24). The reap's mark (REAP_MARK_MS, 30 s) is renewed between batches; one batch of 5,000
 * takes far less.
 */
const REAP_AT_ONCE = 5_000;

const LEAVE = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
if n <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]); return 1 end
return 0`;

/**
 * PresenceStore on Redis, one server or a Redis Cluster. Keys under `{prefix}p:` (core/tenant-keys.ts
 * presenceKeys), a school's all in one slot: `u:{:tenant:}:user` sid→status, `s:{:tenant:}:sid` session,
 * `sr:{:tenant:}:sid` its rooms, `r:{:tenant:}:room` user→sessions in room; and, across schools,
 * `n:node` the node's `tenant:sid` entries and `nodes` node→last heartbeat. Each script touches one
 * school's slot (on one Redis server the connect script also adds the node-index entry, before the session).
 * Otherwise the node index is written outside the scripts, so it is kept a superset: the entry is
 * added before a session is created and removed after it is gone (a reaper finding a gone session skips it).
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly p: string;
  /** On a Redis Cluster, node-index entries added within 2 ms (a connect storm) go in one SADD. */
  private readonly indexing = new WindowBatcher<string, void>(async (key, members) => {
    await this.redis.sadd(key, ...members);
    return members.map(() => undefined);
  });

  /**
   * A room's member list and count, read at most once at a time per room (core/trailing-reads.ts): a
   * class joining at once asked for both once per join (the list O(n) each, n² for the room); every
   * caller still gets an answer read after it asked, so its own join is in it.
   */
  // …and go through the connect window (one pipeline per 2 ms on one Redis server): a reconnect storm's
  // rejoins and the reaping of a dead node's sessions ask for thousands of rooms' counts at once, and a
  // command each was the largest single cost of a survivor's CPU profile (a socket write per read)
  private readonly memberLists = new TrailingReads<string[]>(async (key) => ((await this.connects.eval(HKEYS, 1, key)) as string[]).sort());
  private readonly memberCounts = new TrailingReads<number>(async (key) => Number(await this.connects.eval(HLEN, 1, key)));

  /** Session scripts of a connect storm go as one pipeline per 2 ms window (core/redis-window.ts). */
  private readonly connects: RedisWindow;

  /**
   * The node set's commands (beats, liveness reads, reaper claims) go on `liveness`, a connection of their own
   * when given: on the shared command connection a beat queued behind a node's bulk traffic, and after a Redis
   * failover beats took 2–6 s to land while the node's event loop was half idle; a live node was reaped.
   */
  private readonly liveness: RedisClient;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly nodeTtlMs = 10_000,
    liveness?: RedisClient,
  ) {
    this.p = `${prefix}p:`;
    this.connects = new RedisWindow(redis);
    this.liveness = liveness ?? redis;
  }

  private keys(ref: SessionRef) {
    return {
      user: this.p + presenceKeys.user(ref.tenant, ref.user),
      session: this.p + presenceKeys.session(ref.tenant, ref.sessionId),
      rooms: this.p + presenceKeys.sessionRooms(ref.tenant, ref.sessionId),
      roomPrefix: this.p + presenceKeys.roomPrefix(ref.tenant),
    };
  }

  private nodeKey = (node: string): string => this.p + presenceNodeKeys.node(node);
  private readonly nodesKey = (): string => presenceNodeSetKey(this.prefix);
  private readonly reapingKey = (): string => presenceNodeKeys.reaping(this.nodesKey());

  /**
   * On one Redis server the node-index entry is added by the session's own script (CONNECT_INDEXED: one
   * command, one window); on a Redis Cluster, where the index is in another slot, it is added first (one
   * SADD per window), then the session is created.
   */
  async connect(ref: SessionRef, node: string): Promise<{ cameOnline: boolean }> {
    const k = this.keys(ref);
    const member = presenceNodeKeys.nodeMember(ref.tenant, ref.sessionId);
    if (!isCluster(this.redis)) {
      return { cameOnline: (await this.connects.eval(CONNECT_INDEXED, 3, k.user, k.session, this.nodeKey(node), ref.sessionId, ref.tenant, ref.user, node, member)) === 1 };
    }
    await this.indexing.add(this.nodeKey(node), member);
    const first = await this.connects.eval(CONNECT, 2, k.user, k.session, ref.sessionId, ref.tenant, ref.user, node);
    return { cameOnline: first === 1 };
  }

  /**
   * Ends a session. On one Redis server, one script through the connect window (a class leaving at once,
   * a drain: one pipeline per 2 ms instead of three round trips each); on a Redis Cluster, where the node
   * index is in another slot, its node is read first and its index entry removed after.
   */
  async disconnect(ref: SessionRef): Promise<{ wentOffline: boolean; leftRooms: string[] }> {
    const k = this.keys(ref);
    if (!isCluster(this.redis)) {
      const member = presenceNodeKeys.nodeMember(ref.tenant, ref.sessionId);
      const [off, ...left] = (await this.connects.eval(DISCONNECT_INDEXED, 3, k.user, k.session, k.rooms, ref.sessionId, k.roomPrefix, ref.user, this.nodeKey(""), member)) as [number, ...string[]];
      return { wentOffline: off === 1, leftRooms: left };
    }
    const node = (await this.connects.eval(HGET, 1, k.session, "node")) as string | null;
    const [off, ...left] = (await this.connects.eval(DISCONNECT, 3, k.user, k.session, k.rooms, ref.sessionId, k.roomPrefix, ref.user)) as [number, ...string[]];
    if (node !== null) await this.connects.eval(SREM, 1, this.nodeKey(node), presenceNodeKeys.nodeMember(ref.tenant, ref.sessionId));
    return { wentOffline: off === 1, leftRooms: left };
  }

  async setStatus(ref: SessionRef, status: "online" | "away"): Promise<{ before: PresenceStatus; after: PresenceStatus }> {
    const [before, after] = (await this.redis.eval(SET_STATUS, 1, this.keys(ref).user, ref.sessionId, status)) as [PresenceStatus, PresenceStatus];
    return { before, after };
  }

  async statuses(tenant: string, users: string[]): Promise<Record<string, PresenceStatus>> {
    if (users.length === 0) return {};
    const pipeline = this.redis.pipeline();
    for (const u of users) pipeline.hvals(this.p + presenceKeys.user(tenant, u));
    const results = (await pipeline.exec()) ?? [];
    return Object.fromEntries(
      users.map((u, i) => {
        // a read that failed is not "offline": the caller gets the error (a numbered, temporary refusal)
        const [error, value] = results[i] ?? [new Error("no answer from the pipeline")];
        if (error) throw error;
        const vals = value as string[];
        return [u, vals.length === 0 ? "offline" : vals.includes("online") ? "online" : "away"];
      }),
    );
  }

  async joinRoom(ref: SessionRef, room: string): Promise<{ firstInRoom: boolean }> {
    const k = this.keys(ref);
    return { firstInRoom: (await this.connects.eval(JOIN, 3, k.session, k.rooms, `${k.roomPrefix}${room}`, room, ref.user)) === 1 };
  }

  async leaveRoom(ref: SessionRef, room: string): Promise<{ lastInRoom: boolean }> {
    const k = this.keys(ref);
    return { lastInRoom: (await this.redis.eval(LEAVE, 2, k.rooms, `${k.roomPrefix}${room}`, room, ref.user)) === 1 };
  }

  /** Callers must not modify the list: concurrent callers may share it. */
  async roomMembers(tenant: string, room: string): Promise<string[]> {
    return this.memberLists.get(this.p + presenceKeys.room(tenant, room));
  }

  async roomMemberCount(tenant: string, room: string): Promise<number> {
    return this.memberCounts.get(this.p + presenceKeys.room(tenant, room));
  }

  async heartbeat(node: string): Promise<{ wasMissing: boolean; reaping: boolean }> {
    const [added, reaping] = (await this.liveness.eval(HEARTBEAT, 2, this.nodesKey(), this.reapingKey(), node)) as [number, number];
    return { wasMissing: added === 1, reaping: reaping === 1 };
  }

  async isNodeAlive(node: string): Promise<boolean> {
    return (await this.liveness.eval(IS_ALIVE, 1, this.nodesKey(), node, this.nodeTtlMs)) === 1;
  }

  /**
   * Each dead node is claimed by one reaper (CLAIM), which marks it being reaped (its beats say so, and it
   * waits to register its sessions again) and removes the sessions registered before its claim
   * (REAP_GUARD: a fresh connect of the node, if alive, stays). The node's index is not deleted after:
   * entries added meanwhile stay (each reaped session's entry goes with it).
   */
  async reapDeadNodes(self?: string): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>> {
    const dead = (await this.liveness.eval(DEAD_NODES, 1, this.nodesKey(), this.nodeTtlMs)) as string[];
    const out: Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }> = [];
    for (const node of dead) {
      if (node === self) continue;
      const claimedAt = (await this.liveness.eval(CLAIM, 2, this.nodesKey(), this.reapingKey(), node, this.nodeTtlMs, REAP_MARK_MS)) as string | null;
      if (claimedAt === null) continue; // another node reaps it, or it beat since
      try {
        out.push(...(await this.reapSessions(node, () => false, claimedAt)));
      } finally {
        await this.liveness.hdel(this.reapingKey(), node);
      }
    }
    return out;
  }

  async reapStaleSessions(node: string, isLive: (sessionId: string) => boolean): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>> {
    return this.reapSessions(node, isLive, null);
  }

  /**
   * Disconnects the sessions of the node's index that `isLive` denies (the index is read first, then asked).
   * REAP_AT_ONCE sessions at a time: their reads and scripts go out together instead of two round trips
   * per session one after another (334 sessions of a killed node took 20–50 s on a loaded machine, while its
   * users read online).
   */
  private async reapSessions(node: string, isLive: (sessionId: string) => boolean, claimedAt: string | null): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>> {
    const out: Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }> = [];
    const members = await this.redis.smembers(this.nodeKey(node));
    const reapOne = async (member: string): Promise<void> => {
      const at = member.indexOf(":"); // tenants never contain ':' (core/tenancy.ts)
      const [tenant, sessionId] = [member.slice(0, at), member.slice(at + 1)];
      if (isLive(sessionId)) return;
      const sessionKey = this.p + presenceKeys.session(tenant, sessionId);
      const user = (await this.connects.eval(HGET, 1, sessionKey, "user")) as string | null;
      if (!user) {
        if (isCluster(this.redis)) await this.connects.eval(SREM, 1, this.nodeKey(node), member);
        else await this.connects.eval(DROP_GONE_ENTRY, 2, sessionKey, this.nodeKey(node), member);
        return;
      }
      const ref = { tenant, user, sessionId };
      const ended = claimedAt === null ? await this.disconnect(ref) : await this.reapSession(node, ref, claimedAt);
      if (ended) out.push({ tenant, user, ...ended });
    };
    for (let i = 0; i < members.length; i += REAP_AT_ONCE) {
      // a long reap keeps its mark (the node, if alive, waits for the end to register again)
      if (claimedAt !== null && i > 0) await this.liveness.eval(KEEP_MARK, 1, this.reapingKey(), node, REAP_MARK_MS);
      await Promise.all(members.slice(i, i + REAP_AT_ONCE).map(reapOne));
    }
    return out;
  }

  /**
   * Ends a dead node's session unless it was registered after `claimedAt` (REAP_GUARD): then undefined.
   * As `disconnect`: one script on one Redis server, and on a cluster the index entry removed after.
   */
  private async reapSession(node: string, ref: SessionRef, claimedAt: string): Promise<{ wentOffline: boolean; leftRooms: string[] } | undefined> {
    const k = this.keys(ref);
    const member = presenceNodeKeys.nodeMember(ref.tenant, ref.sessionId);
    if (!isCluster(this.redis)) {
      const [off, ...left] = (await this.connects.eval(REAP_INDEXED, 3, k.user, k.session, k.rooms, ref.sessionId, k.roomPrefix, ref.user, this.nodeKey(""), member, claimedAt)) as [number, ...string[]];
      return off === -1 ? undefined : { wentOffline: off === 1, leftRooms: left };
    }
    // the session is in the dead node's index, so that is the entry to remove (no read of its node field)
    const [off, ...left] = (await this.connects.eval(REAP, 3, k.user, k.session, k.rooms, ref.sessionId, k.roomPrefix, ref.user, claimedAt)) as [number, ...string[]];
    if (off === -1) return undefined;
    await this.connects.eval(SREM, 1, this.nodeKey(node), member);
    return { wentOffline: off === 1, leftRooms: left };
  }

}

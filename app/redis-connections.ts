import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { hasRedis, type InterlinkedConfig } from "../core/config";
import type { Logger } from "../core/log";
import type { RedisClient } from "../core/redis-client";

/** A process's Redis connections: commands (stores, quotas, rate limits, emitter) and the adapter's pub/sub pair. */
export interface RedisConnections {
  command: RedisClient;
  /**
   * The node liveness beats and the reaper's claims, on a connection of their own (connected on first use: only
   * realtime nodes beat), so a beat does not wait behind the command connection's bulk traffic.
   */
  liveness: RedisClient;
  pub: RedisClient;
  sub: RedisClient;
  /** The Socket.IO adapter's key (classic adapter) or channel prefix (sharded adapter). */
  adapterKey: string;
  /** A Redis Cluster: the adapter and the emitter use sharded pub/sub (SPUBLISH / SSUBSCRIBE). */
  sharded: boolean;
  close(): void;
}

const nodeOptions: RedisOptions = { maxRetriesPerRequest: 2, enableOfflineQueue: true };

/**
 * Auto-pipelining of the command connection is off: with it on, ioredis 5 threw from its pipeline
 * callback (`results[i] is not iterable`, an uncaught TypeError) when the connection closed under
 * queued commands, which killed a node on SIGTERM (tests/drain.int.test.ts). The connect path batches
 * its own Redis work per window instead (core/window-batcher.ts).
 */
const commandOptions = { enableAutoPipelining: false } as const;

/**
 * Cluster client settings: a command meeting a failover (connection refused, CLUSTERDOWN, TRYAGAIN) is
 * retried every 200 ms up to 40 times, so a primary's replica taking over (a few seconds with
 * cluster-node-timeout 2000) delays commands instead of failing them. The slot map is refreshed at once on
 * a MOVED, a lost node or a failed subscriber (ioredis does that on its own), and otherwise every 5 s
 * (ioredis' default), not every second: each refresh opens a connection for CLUSTER SLOTS, rewrites all
 * 16,384 slots, and the sharded subscriber compares the whole map as JSON; at one per second per client
 * that was 10–20 % of a node's CPU during a reconnect storm on a loaded machine (a CPU profile of the
 * chaos command), and a share of an idle node's CPU.
 */
const clusterOptions: ClusterOptions = {
  slotsRefreshInterval: 5_000,
  slotsRefreshTimeout: 2_000,
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 200,
  maxRedirections: 40,
  enableOfflineQueue: true,
};

/** `host:port` or `redis://[user:password@]host:port`: a seed node of the cluster and its credentials. */
export function clusterSeed(entry: string): { host: string; port: number; username?: string; password?: string } {
  const url = new URL(entry.includes("://") ? entry : `redis://${entry}`);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error(`REDIS_CLUSTER_NODES: "${entry}" is not host:port or a redis:// URL`);
  const port = Number(url.port || 6379);
  if (!url.hostname || !Number.isInteger(port)) throw new Error(`REDIS_CLUSTER_NODES: "${entry}" has no host or port`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** A slot map as ioredis keeps it: slot → node keys (`host:port`), the primary first. */
type SlotMap = ReadonlyArray<ReadonlyArray<string> | undefined>;

/** Whether two slot maps are the same (what ioredis' JSON comparison answers, without the JSON). */
export function sameSlotMap(a: SlotMap | undefined, b: SlotMap): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

/**
 * ioredis 5.11's sharded subscriber group decides whether the cluster's topology changed by comparing
 * `JSON.stringify` of its whole slot map (16,384 entries) with the new one's, at every slot refresh (every
 * 5 s, and at each MOVED or lost node): 1.4–2.3 % of a node's main thread in the chaos command's CPU
 * profiles, idle or not. The same answer, compared entry by entry, on the group's prototype, so every
 * sharded client of the process has it (the adapter's subscriber, and the duplicates others make of a
 * client, as the media RPC does). Left alone if the method is not there (another ioredis version).
 */
let slotComparisonReplaced = false;
function compareSlotsWithoutJson(client: Cluster): void {
  if (slotComparisonReplaced) return;
  const group = (client as unknown as { shardedSubscribers?: object }).shardedSubscribers;
  if (!group) return;
  const proto = Object.getPrototypeOf(group) as { _slotsAreEqual?: unknown };
  if (typeof proto._slotsAreEqual !== "function") return;
  proto._slotsAreEqual = function (this: { clusterSlots?: SlotMap }, other: SlotMap): boolean {
    return sameSlotMap(this.clusterSlots, other);
  };
  slotComparisonReplaced = true;
}

/**
 * A cluster client on the seed nodes (`sharded`: one subscriber per primary, for SSUBSCRIBE; `pipelined`:
 * auto-pipelining, as the command connection; `natMap`: announced `host:port` → reachable `host:port`).
 */
export function clusterClient(seeds: string[], options: { sharded?: boolean; pipelined?: boolean; lazy?: boolean; natMap?: Record<string, string> } = {}): Cluster {
  const parsed = seeds.map(clusterSeed);
  const auth = parsed.find((s) => s.password !== undefined);
  const natMap = options.natMap
    ? Object.fromEntries(Object.entries(options.natMap).map(([from, to]) => [from, { host: to.slice(0, to.lastIndexOf(":")), port: Number(to.slice(to.lastIndexOf(":") + 1)) }]))
    : undefined;
  const client = new Cluster(
    parsed.map(({ host, port }) => ({ host, port })),
    {
      ...clusterOptions,
      ...(natMap ? { natMap } : {}),
      shardedSubscribers: options.sharded === true,
      lazyConnect: options.lazy === true,
      ...(options.pipelined ? commandOptions : {}),
      redisOptions: { ...nodeOptions, ...(auth ? { username: auth.username, password: auth.password } : {}) },
    },
  );
  if (options.sharded === true) compareSlotsWithoutJson(client);
  return client;
}

/**
 * The one place Redis connections are opened: REDIS_URL → four connections to one server (classic
 * Socket.IO adapter), REDIS_CLUSTER_NODES → four Redis Cluster clients (the subscriber with one
 * connection per primary for sharded pub/sub). No Redis configured → undefined (in-process state).
 */
export function openRedisConnections(config: Pick<InterlinkedConfig, "redisUrl" | "redisClusterNodes" | "redisClusterNatMap" | "namespace">, log: Logger): RedisConnections | undefined {
  if (!hasRedis(config)) return undefined;
  if (config.redisUrl && config.redisClusterNodes?.length) throw new Error("set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both");
  const cluster = config.redisClusterNodes ?? [];
  if (cluster.length > 0 && /[{}]/.test(config.namespace)) throw new Error("NAMESPACE may not contain braces on a Redis Cluster (they would change the keys' hash slots)");
  const open = (sharded: boolean, pipelined = false, lazy = false): RedisClient => {
    const client: RedisClient =
      cluster.length > 0
        ? clusterClient(cluster, { sharded, pipelined, lazy, natMap: config.redisClusterNatMap })
        : new Redis(config.redisUrl as string, { ...nodeOptions, ...(pipelined ? commandOptions : {}), lazyConnect: lazy });
    client.on("error", (err: unknown) => log.error({ err }, "redis: connection error"));
    return client;
  };
  const connections = { command: open(false, true), liveness: open(false, false, true), pub: open(false), sub: open(true) };
  return {
    ...connections,
    adapterKey: `${config.namespace}#socket.io`,
    sharded: cluster.length > 0,
    close: () => {
      for (const c of Object.values(connections)) c.disconnect();
    },
  };
}

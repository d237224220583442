/**
 * The faults, one at a time, in priority order. Each injects its fault, holds it, and heals it (the
 * killed part started again) so that the next fault starts from the whole cluster. `target` is the
 * realtime node the node faults hit (never the probes' nodes).
 */
import { presenceNodeSetKey } from "../../realtime/presence/presence-store-redis";
import type { ChaosCluster } from "./cluster";

export const FAULTS = ["node-kill", "node-drain", "redis-primary-kill", "kafka-broker-kill", "postgres-stop", "redis-partition"] as const;
export type FaultName = (typeof FAULTS)[number];

export interface FaultContext {
  cluster: ChaosCluster;
  /** The realtime node the node faults hit. */
  target: number;
  /** When the fault started (the clients measure from it), ms. */
  at: number;
  log(line: string): void;
  /** Resolves once every client that dropped is back (or `timeoutMs` passed). */
  clientsBack(timeoutMs: number): Promise<void>;
}

export interface FaultRun {
  /** What was done, for the report. */
  detail: string;
  /** When the fault was healed (the part started again / the partition lifted). */
  healedAt: number;
}

export interface Fault {
  name: FaultName;
  summary: string;
  /** Why it cannot run on this cluster (a part it needs is taken from the environment), if so. */
  unavailable(cluster: ChaosCluster): string | undefined;
  /** Whether it hits a realtime node (node faults take the nodes in turn). */
  hitsNode: boolean;
  /** How long the fault is held, ms (the phase is made long enough for it). */
  holdMs: number;
  inject(ctx: FaultContext): Promise<FaultRun>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function faultsByName(o: { postgresDownMs: number; partitionMs: number; redisKill: "node-set" | "other" }): Record<FaultName, Fault> {
  return {
    "node-kill": {
      name: "node-kill",
      hitsNode: true,
      summary: "kill -9 of a realtime node",
      unavailable: (c) => (c.nodes.length < 2 ? "needs 2 realtime nodes" : undefined),
      holdMs: 15_000,
      async inject(ctx) {
        const signalled = Date.now();
        await ctx.cluster.stopNode(ctx.target, "SIGKILL");
        ctx.log(`killed realtime-${ctx.target} (SIGKILL sent +${signalled - ctx.at} ms after the fault, exit seen +${Date.now() - ctx.at} ms)`);
        // the node stays dead while its clients move and its presence is reaped (NODE_TTL_MS), then comes back
        await Promise.all([ctx.clientsBack(15_000), sleep(12_000)]);
        await ctx.cluster.restartNode(ctx.target);
        return { detail: `SIGKILL of realtime-${ctx.target}, restarted after its clients were back`, healedAt: Date.now() };
      },
    },
    "node-drain": {
      name: "node-drain",
      hitsNode: true,
      summary: "SIGTERM (drain) of a realtime node",
      unavailable: (c) => (c.nodes.length < 2 ? "needs 2 realtime nodes" : undefined),
      holdMs: 25_000,
      async inject(ctx) {
        const started = Date.now();
        await ctx.cluster.stopNode(ctx.target, "SIGTERM");
        const drained = Date.now() - started;
        ctx.log(`realtime-${ctx.target} drained and exited in ${drained} ms`);
        await ctx.clientsBack(15_000);
        await ctx.cluster.restartNode(ctx.target);
        return { detail: `SIGTERM of realtime-${ctx.target}: drained and exited in ${drained} ms, restarted`, healedAt: Date.now() };
      },
    },
    "redis-primary-kill": {
      name: "redis-primary-kill",
      hitsNode: false,
      summary: `kill -9 of a Redis Cluster primary ${o.redisKill === "node-set" ? "serving" : "not serving"} the presence node set (its replica promoted)`,
      unavailable: (c) => (c.redisCluster ? undefined : "needs the command's own Redis Cluster (--redis own)"),
      holdMs: 15_000,
      async inject(ctx) {
        const redis = ctx.cluster.redisCluster;
        if (!redis) throw new Error("no Redis Cluster");
        // the shard every node's liveness beat goes to (one key): the primary whose loss tests the most at once
        const nodeSet = presenceNodeSetKey(`${ctx.cluster.namespace}:`);
        const holder = await redis.primaryOf(nodeSet);
        const primary = o.redisKill === "node-set" ? holder : ((await redis.primaries()).find((p) => p !== holder) as string);
        const port = Number(primary.split(":")[1]);
        await redis.kill(port);
        const killedAt = Date.now();
        ctx.log(`killed Redis primary ${primary} (SIGKILL); ${nodeSet} is served by ${holder}`);
        let promotedMs = -1;
        while (Date.now() - killedAt < 15_000) {
          const primaries = await redis.primaries().catch(() => [] as string[]);
          if (primaries.length === 3 && !primaries.includes(primary)) {
            promotedMs = Date.now() - killedAt;
            break;
          }
          await sleep(200);
        }
        await sleep(Math.max(0, 10_000 - (Date.now() - killedAt)));
        await redis.restart(port);
        return { detail: `SIGKILL of Redis primary ${primary} (${primary === holder ? "serving" : "not serving"} the presence node set); replica promoted after ${promotedMs} ms (cluster's view); the old primary restarted (rejoins as a replica)`, healedAt: Date.now() };
      },
    },
    "kafka-broker-kill": {
      name: "kafka-broker-kill",
      hitsNode: false,
      summary: "kill -9 of a Kafka broker (of 3; RF 3, min.insync 2)",
      unavailable: (c) => (c.kafkaCluster ? undefined : "needs the command's own 3 Kafka brokers (--kafka own)"),
      holdMs: 15_000,
      async inject(ctx) {
        const kafka = ctx.cluster.kafkaCluster;
        if (!kafka) throw new Error("no Kafka cluster");
        await kafka.kill(1);
        ctx.log("killed Kafka broker 1 (SIGKILL)");
        await sleep(15_000);
        await kafka.restart(1);
        return { detail: "SIGKILL of Kafka broker 1, held 15 s, restarted", healedAt: Date.now() };
      },
    },
    "postgres-stop": {
      name: "postgres-stop",
      hitsNode: false,
      summary: `PostgreSQL stopped for ${Math.round(o.postgresDownMs / 1000)} s`,
      unavailable: (c) => (c.postgres ? undefined : "needs the command's own PostgreSQL (--postgres own)"),
      holdMs: o.postgresDownMs,
      async inject(ctx) {
        const postgres = ctx.cluster.postgres;
        if (!postgres) throw new Error("no PostgreSQL");
        await postgres.stop();
        ctx.log(`PostgreSQL stopped (fast shutdown) for ${o.postgresDownMs} ms`);
        await sleep(o.postgresDownMs);
        await postgres.start();
        return { detail: `PostgreSQL fast shutdown, down ${o.postgresDownMs} ms, started again`, healedAt: Date.now() };
      },
    },
    "redis-partition": {
      name: "redis-partition",
      hitsNode: true,
      summary: `a realtime node cut off from Redis for ${Math.round(o.partitionMs / 1000)} s`,
      unavailable: (c) => (c.nodes.length < 2 ? "needs 2 realtime nodes" : c.nodes.some((n) => n.redisProxies.length === 0) ? "needs the Redis proxies (started only when this fault is selected)" : undefined),
      holdMs: o.partitionMs,
      async inject(ctx) {
        const node = ctx.cluster.nodes[ctx.target];
        if (!node) throw new Error("no target node");
        for (const p of node.redisProxies) p.cut();
        ctx.log(`realtime-${ctx.target} cut off from Redis (black hole) for ${o.partitionMs} ms`);
        await sleep(o.partitionMs);
        for (const p of node.redisProxies) p.heal();
        return { detail: `every connection of realtime-${ctx.target} to Redis black-holed for ${o.partitionMs} ms, then healed`, healedAt: Date.now() };
      },
    },
  };
}

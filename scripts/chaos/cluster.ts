/**
 * The chaos command's deployment on one machine: a Redis Cluster (3 primaries + 3 replicas), 3 Kafka
 * brokers in KRaft (replication factor 3, min.insync.replicas 2), its own PostgreSQL (so it can stop
 * it), a worker process, N realtime + API node processes (production bundle, STICKY_ROUTE n0…) and
 * nginx in front with the production config. Each part can be given instead (`env`: REDIS_URL,
 * KAFKA_BROKERS, DATABASE_URL of services.env) for small runs; the faults that need to own a part say so.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../db/database";
import { TenantStore } from "../../db/stores/tenants";
import { nginxDefaults, renderNginxConfig } from "../../nginx/render-config";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { startKafkaCluster, type KafkaClusterInstance } from "../../tools/services/kafka-cluster";
import { ensureKafkaJars } from "../../tools/services/kafka";
import { startNginx } from "../../tools/services/nginx";
import { ensureCommands } from "../../tools/services/packages";
import { createScratchDatabase, startRestartablePostgres, type RestartablePostgres } from "../../tools/services/postgres";
import { freePort } from "../../tools/services/process";
import { ensureBuilt } from "../../tools/services/production-build";
import { requirements } from "../../tools/services/provision";
import { startRedisCluster, type RedisClusterInstance } from "../../tools/services/redis-cluster";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

export type PartSource = "own" | "env";

export interface ClusterOptions {
  nodes: number;
  workers: number;
  redis: PartSource;
  kafka: PartSource;
  postgres: PartSource;
  /** Sockets nginx is sized for. */
  sockets: number;
  /** The realtime nodes' engine (REALTIME_ENGINE). */
  engine: "ws" | "uws";
  /** The Kafka brokers' JIT (tools/services/kafka-cluster.ts). */
  kafkaJit: "c1" | "c2";
  /**
   * Put a TCP proxy this process can cut between each node (and worker) and each Redis node: the partition
   * fault needs them. They carry every Redis byte of the tier through this one process, so without that fault
   * the nodes connect to Redis directly.
   */
  redisProxies: boolean;
  /** The tenant the clients use: its quotas are raised so that the run measures faults, not quotas. */
  tenant: string;
  /** When set, every node's and worker's output is written there (`<NODE_ID>-<n>.log`) when the cluster stops. */
  keepLogs?: string;
  /** Writes each realtime node's CPU profile (node --cpu-prof) into this directory; nodes then stop with SIGTERM so it is written. */
  cpuProfDir?: string;
  /**
   * The realtime nodes' nice value (their main thread; a restarted node too). Default 0. Negative stands for
   * nodes on cores of their own: here they share 2 cores with everything the run starts.
   */
  nodeNice?: number;
  log(line: string): void;
}

export interface RealtimeNode {
  id: string;
  route: string;
  port: number;
  url: string;
  proc: ChildInterlinked;
  /** Redis proxies between this node and Redis (the partition fault cuts them). */
  redisProxies: TcpProxy[];
}

export interface ChaosCluster {
  url: string;
  secret: string;
  databaseUrl: string;
  /** The deployment's NAMESPACE (its Redis keys' prefix is `namespace:`). */
  namespace: string;
  nodes: RealtimeNode[];
  redisCluster?: RedisClusterInstance;
  kafkaCluster?: KafkaClusterInstance;
  postgres?: RestartablePostgres;
  /** kill -9 (`SIGKILL`) or drain (`SIGTERM`) of node `i`; resolves when it exited. */
  stopNode(i: number, signal: NodeJS.Signals): Promise<void>;
  /** Starts node `i` again on its port and waits for readiness. */
  restartNode(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts everything; on failure stops what started and rethrows. */
export async function startChaosCluster(o: ClusterOptions): Promise<ChaosCluster> {
  const log = o.log;
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), "interlinked-chaos-"));
  chmodSync(root, 0o755); // the postgres user must reach its data dir below it
  const logDir = join(root, "logs");
  mkdirSync(logDir);
  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const nodes: RealtimeNode[] = [];
  const spawned: Array<{ id: string; proc: ChildInterlinked }> = [];
  const stop = async (): Promise<void> => {
    stopping = true;
    if (o.keepLogs) {
      mkdirSync(o.keepLogs, { recursive: true });
      spawned.forEach(({ id, proc }, n) => writeFileSync(join(o.keepLogs as string, `${id}-${n}.log`), proc.output()));
      const nginxErrors = join(root, "nginx", "error.log");
      if (existsSync(nginxErrors)) copyFileSync(nginxErrors, join(o.keepLogs, "nginx-error.log"));
    }
    await Promise.allSettled(nodes.map((n) => n.proc.stop(o.cpuProfDir ? "SIGTERM" : "SIGKILL")));
    for (const s of stops.reverse()) await s().catch(() => undefined);
    for (const n of nodes) for (const p of n.redisProxies) p.close();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const bins = await ensureCommands(requirements({ redis: o.redis === "own", postgres: o.postgres === "own" }), log);
    const env = (name: string): string => {
      const v = process.env[name];
      if (!v) throw new Error(`${name} must be set when a part is taken from the environment (source services.env)`);
      return v;
    };
    const dir = (name: string): string => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const started = await Promise.allSettled([
      o.redis === "own" ? startRedisCluster(bins.get("redis-server") as string, dir("redis"), logDir) : undefined,
      o.kafka === "own"
        ? ensureKafkaJars(bins.get("mvn") as string, log).then((lib) => startKafkaCluster(bins.get("java") as string, lib, dir("kafka"), logDir, { jit: o.kafkaJit }))
        : undefined,
      o.postgres === "own" ? startRestartablePostgres(bins.get("postgres") as string, dir("postgres"), logDir) : undefined,
    ] as const);
    const value = <T>(r: PromiseSettledResult<T>): T | undefined => (r.status === "fulfilled" ? r.value : undefined);
    const [redisCluster, kafkaCluster, postgres] = [value(started[0]), value(started[1]), value(started[2])];
    if (redisCluster) stops.push(() => redisCluster.stop());
    if (kafkaCluster) stops.push(() => kafkaCluster.stop());
    if (postgres) stops.push(() => postgres.stop());
    const failed = started.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
    if (failed.length > 0) throw new Error(`services did not start (logs in ${logDir}):\n  ${failed.join("\n  ")}`);
    log(`services: redis ${redisCluster ? `cluster ${redisCluster.nodes}` : "from env"}, kafka ${kafkaCluster ? kafkaCluster.brokers : "from env"}, postgres ${postgres ? postgres.url : "from env"}`);

    const databaseUrl = await createScratchDatabase(postgres?.url ?? env("DATABASE_URL"), "chaos");
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    const big = 1_000_000;
    await new TenantStore(db.db).setOverrides(o.tenant, { maxConnections: big, maxMessagesPerSecond: big, apiRequestsPerMinute: big, maxBroadcastRecipients: big });
    await db.close();

    const secret = randomBytes(32).toString("hex");
    const redisSeeds = redisCluster ? redisCluster.members.map((m) => m.port) : [Number(new URL(env("REDIS_URL")).port)];
    const base: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaCluster?.brokers ?? env("KAFKA_BROKERS"),
      ...(kafkaCluster ? { KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" } : {}),
      NAMESPACE: `chaos${randomBytes(3).toString("hex")}`,
      AUTH_SECRET: secret,
      HOST: "127.0.0.1",
      REALTIME_ENGINE: o.engine,
      LOG_LEVEL: "warn",
      MEDIA: "0",
    };
    /** A node's Redis: through proxies it owns (one per Redis node, the partition fault cuts them), mapped back for cluster redirects; else direct. */
    const redisEnvOf = async (proxies: TcpProxy[]): Promise<Record<string, string>> => {
      if (!o.redisProxies) return redisCluster ? { REDIS_CLUSTER_NODES: redisSeeds.map((port) => `127.0.0.1:${port}`).join(",") } : { REDIS_URL: env("REDIS_URL") };
      for (const port of redisSeeds) proxies.push(await startTcpProxy(port));
      if (!redisCluster) return { REDIS_URL: `redis://127.0.0.1:${proxies[0]?.port}` };
      return {
        REDIS_CLUSTER_NODES: proxies.map((p) => `127.0.0.1:${p.port}`).join(","),
        REDIS_CLUSTER_NAT_MAP: redisSeeds.map((port, i) => `127.0.0.1:${port}=127.0.0.1:${proxies[i]?.port}`).join(","),
      };
    };
    const expectedExit = new Set<ChildInterlinked>();
    const spawnNode = (extra: Record<string, string>): ChildInterlinked => {
      const profiled = o.cpuProfDir !== undefined && extra.ROLES?.includes("realtime");
      const proc = spawnInterlinked({ ...base, ...extra }, profiled ? ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${extra.NODE_ID}-${Date.now()}.cpuprofile`] : []);
      if (o.nodeNice && extra.ROLES?.includes("realtime") && proc.child.pid !== undefined) setPriority(proc.child.pid, o.nodeNice);
      spawned.push({ id: extra.NODE_ID ?? "node", proc });
      proc.child.once("exit", (code, signal) => {
        if (!expectedExit.has(proc) && !stopping) log(`${extra.NODE_ID} exited on its own (code ${String(code)}, signal ${String(signal)}): ${proc.output().slice(-2000)}`);
      });
      return proc;
    };
    const workerProxies: TcpProxy[] = [];
    const workerEnv = await redisEnvOf(workerProxies);
    for (let w = 0; w < o.workers; w++) {
      const port = await freePort();
      const proc = spawnNode({ ...workerEnv, ROLES: "workers", NODE_ID: `worker-${w}`, PORT: String(port) });
      stops.push(() => proc.stop("SIGTERM"));
      await waitReady(`http://127.0.0.1:${port}`, 60_000).catch((err: unknown) => {
        throw new Error(`worker-${w} did not start: ${proc.output().slice(-1500)}`, { cause: err });
      });
    }
    const envOfNode = new Map<number, Record<string, string>>();
    await Promise.all(
      Array.from({ length: o.nodes }, async (_, i) => {
        const port = await freePort();
        const redisProxies: TcpProxy[] = [];
        const extra = { ...(await redisEnvOf(redisProxies)), ROLES: "realtime,api", NODE_ID: `realtime-${i}`, STICKY_ROUTE: `n${i}`, PORT: String(port) };
        envOfNode.set(i, extra);
        const node: RealtimeNode = { id: `realtime-${i}`, route: `n${i}`, port, url: `http://127.0.0.1:${port}`, proc: spawnNode(extra), redisProxies };
        nodes[i] = node;
        await waitReady(node.url, 60_000).catch((err: unknown) => {
          throw new Error(`${node.id} did not start: ${node.proc.output().slice(-1500)}`, { cause: err });
        });
      }),
    );
    const nginxPort = await freePort();
    const nginxDir = dir("nginx");
    // to the nodes from 8 loopback addresses, as bench:storm: one (source, node) pair per ~5,000 sockets keeps
    // the kernel's ephemeral port search short when a node takes over a dead one's clients (nginx/render-config.ts)
    const nginx = await startNginx({
      bin: process.env.NGINX_BIN || (bins.get("nginx") as string),
      dir: nginxDir,
      port: nginxPort,
      config: renderNginxConfig({ ...nginxDefaults, sockets: o.sockets, listen: `127.0.0.1:${nginxPort}`, nodes: nodes.map((n) => ({ route: n.route, address: `127.0.0.1:${n.port}` })), runDir: nginxDir, upstreamSources: Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`) }),
    });
    stops.push(() => nginx.stop());
    const url = `http://127.0.0.1:${nginxPort}`;
    log(`serving at ${url}: nginx → ${o.nodes} realtime node(s), ${o.workers} worker(s)`);
    return {
      url,
      secret,
      databaseUrl,
      namespace: base.NAMESPACE as string,
      nodes,
      redisCluster,
      kafkaCluster,
      postgres,
      async stopNode(i, signal) {
        const node = nodes[i] as RealtimeNode;
        expectedExit.add(node.proc);
        await node.proc.stop(signal);
      },
      async restartNode(i) {
        const node = nodes[i] as RealtimeNode;
        node.proc = spawnNode(envOfNode.get(i) as Record<string, string>);
        await waitReady(node.url, 60_000).catch((err: unknown) => {
          throw new Error(`${node.id} did not restart: ${node.proc.output().slice(-1500)}`, { cause: err });
        });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}


import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

const run = promisify(execFile);

/** One `redis-server --cluster-enabled yes` of a test cluster. */
export interface ClusterNode {
  port: number;
  proc: ServiceProcess;
}

export interface RedisClusterInstance {
  /** `127.0.0.1:port,...` of every node (REDIS_CLUSTER_NODES). */
  nodes: string;
  members: ClusterNode[];
  /** `host:port` of the current primaries (asked of a live node). */
  primaries(): Promise<string[]>;
  /** `host:port` of the primary serving `key`'s slot now (asked of a live node). */
  primaryOf(key: string): Promise<string>;
  /** kill -9 of the node on `port`; its replica takes over after cluster-node-timeout. */
  kill(port: number): Promise<void>;
  /** Starts the (killed) node on `port` again with its nodes.conf: it rejoins, as a replica of whoever took its slots. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function ask(port: number, ...command: string[]): Promise<string> {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return String(await client.call(command[0] as string, ...command.slice(1)));
  } finally {
    client.disconnect();
  }
}

/** Whether the first of `nodes` (`host:port,...`) answers and says its cluster's state is ok. */
export async function redisClusterAnswers(nodes: string): Promise<boolean> {
  const [host, port] = (nodes.split(",")[0] ?? "").trim().split(":");
  const client = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return String(await client.call("CLUSTER", "INFO")).includes("cluster_state:ok");
  } finally {
    client.disconnect();
  }
}

/** Every node says cluster_state:ok, and every primary has a replica whose link is up. */
async function clusterReady(ports: number[]): Promise<boolean> {
  for (const port of ports) if (!(await ask(port, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
  const roles = await Promise.all(ports.map((p) => ask(p, "INFO", "replication")));
  const replicas = roles.filter((r) => r.includes("role:slave"));
  return replicas.length * 2 === ports.length && replicas.every((r) => r.includes("master_link_status:up"));
}

/**
 * Starts a Redis Cluster of `primaries` primaries with one replica each (6 `redis-server --cluster-enabled
 * yes` on free loopback ports, no persistence) and joins them with `redis-cli --cluster create
 * --cluster-replicas 1`. `nodeTimeoutMs` is cluster-node-timeout: how long a silent primary has before
 * its replica is elected in its place (1 s here, so a failover test sees it within a few seconds).
 *
 * Each node's cluster bus port is a free port of its own (`cluster-port`), not Redis' default of the
 * client port + 10000, which nothing checked was free: on a machine with many loopback connections
 * that port was often an outgoing connection's local port and the node exited ("Address already in
 * use"). A port can still be taken between the check and the node's bind; a node that exits while
 * starting is started again on new ports (up to 3 times). `allocatePort` picks a free port (tests).
 */
export async function startRedisCluster(
  redisServer: string,
  dir: string,
  logDir: string,
  options: { primaries?: number; nodeTimeoutMs?: number; name?: string; allocatePort?: () => Promise<number> } = {},
): Promise<RedisClusterInstance> {
  const count = (options.primaries ?? 3) * 2;
  const name = options.name ?? "redis-cluster";
  const allocatePort = options.allocatePort ?? freePort;
  const redisCli = join(redisServer, "..", "redis-cli");
  const members: ClusterNode[] = [];
  const busPorts = new Map<number, number>();
  const stop = async (): Promise<void> => {
    await Promise.allSettled(members.map((m) => m.proc.stop()));
  };
  const spawnNode = (port: number, busPort: number, nodeDir: string): ServiceProcess =>
    spawnService({
      name: `${name}-${port}`,
      command: redisServer,
      args: [
        "--port", String(port), "--cluster-port", String(busPort), "--bind", "127.0.0.1", "--protected-mode", "no", "--dir", nodeDir,
        "--save", "", "--appendonly", "no",
        "--cluster-enabled", "yes", "--cluster-config-file", join(nodeDir, "nodes.conf"),
        "--cluster-node-timeout", String(options.nodeTimeoutMs ?? 1_000),
        // a primary without its replica keeps serving its slots; others' slots stay served when one shard is down
        "--cluster-require-full-coverage", "no",
      ],
      logFile: join(logDir, `${name}-${port}.log`),
    });
  const answers = async (port: number): Promise<boolean> => (await ask(port, "PING")) === "PONG";
  /** One node on new free ports, started again on others if it exits before it answers. */
  const startNode = async (): Promise<ClusterNode> => {
    for (let attempt = 1; ; attempt++) {
      const port = await allocatePort();
      let busPort = await allocatePort();
      while (busPort === port) busPort = await allocatePort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir, { recursive: true });
      const proc = spawnNode(port, busPort, nodeDir);
      try {
        await waitUntil(`${name} node ${port}`, () => answers(port), { timeoutMs: 10_000, proc });
        busPorts.set(port, busPort);
        const node = { port, proc };
        members.push(node); // stopped with the others if another node fails to start
        return node;
      } catch (err) {
        await proc.stop(1_000).catch(() => undefined);
        if (attempt >= 3) throw err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: count }, startNode));
    const addresses = members.map((m) => `127.0.0.1:${m.port}`);
    await run(redisCli, ["--cluster", "create", ...addresses, "--cluster-replicas", "1", "--cluster-yes"], { maxBuffer: 4 << 20, timeout: 60_000 });
    await waitUntil(`${name} (slots and replicas)`, () => clusterReady(members.map((m) => m.port)), { timeoutMs: 30_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  const alive = (): ClusterNode[] => members.filter((m) => m.proc.child.exitCode === null && m.proc.child.signalCode === null);
  return {
    nodes: members.map((m) => `127.0.0.1:${m.port}`).join(","),
    members,
    async primaries() {
      const [first] = alive();
      if (!first) return [];
      const lines = (await ask(first.port, "CLUSTER", "NODES")).split("\n");
      return lines
        .map((l) => l.split(" "))
        .filter((f) => (f[2] ?? "").includes("master") && !(f[2] ?? "").includes("fail") && f[7] === "connected")
        .map((f) => (f[1] ?? "").split("@")[0] as string);
    },
    async primaryOf(key) {
      const [first] = alive();
      if (!first) throw new Error("no live cluster node");
      const slot = Number(await ask(first.port, "CLUSTER", "KEYSLOT", key));
      for (const f of (await ask(first.port, "CLUSTER", "NODES")).split("\n").map((l) => l.split(" "))) {
        if (!(f[2] ?? "").includes("master") || (f[2] ?? "").includes("fail")) continue;
        const serves = f.slice(8).some((range) => {
          const [from, to = from] = range.split("-").map(Number) as [number, number?];
          return slot >= from && slot <= to;
        });
        if (serves) return (f[1] ?? "").split("@")[0] as string;
      }
      throw new Error(`slot ${slot} is not served`);
    },
    async kill(port) {
      const member = members.find((m) => m.port === port);
      if (!member) throw new Error(`no cluster node on port ${port}`);
      member.proc.child.kill("SIGKILL");
      await member.proc.stop(1_000);
    },
    async restart(port) {
      const member = members.find((m) => m.port === port);
      if (!member) throw new Error(`no cluster node on port ${port}`);
      member.proc = spawnNode(port, busPorts.get(port) as number, join(dir, String(port)));
      await waitUntil(`${name} node ${port}`, () => answers(port), { timeoutMs: 10_000, proc: member.proc });
    },
    stop,
  };
}

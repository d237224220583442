import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { locate } from "./packages";
import { freePort } from "./process";
import { startRedisCluster, type RedisClusterInstance } from "./redis-cluster";

/** Holds `port` on 127.0.0.1 (as another process's socket would); resolves false when it is taken already. */
function hold(port: number, held: Server[]): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => {
      held.push(server);
      resolve(true);
    });
  });
}

/**
 * Starting the test Redis Cluster on a machine whose loopback ports are busy: a node's cluster bus port
 * used to be its client port + 10000, which nothing checked (the chaos command failed to start 2 runs of 3
 * right after a 1,000-client run: "Failed listening on port … (cluster), aborting"), and a free port can
 * be taken before the node binds it.
 */
describe("startRedisCluster with busy ports", () => {
  const held: Server[] = [];
  let cluster: RedisClusterInstance | undefined;
  let dir = "";

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    for (const s of held.splice(0)) s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (allocatePort: () => Promise<number>): Promise<RedisClusterInstance> => {
    dir = mkdtempSync(join(tmpdir(), "interlinked-redis-ports-"));
    mkdirSync(join(dir, "logs"));
    const redisServer = await locate({ what: "redis-server", candidates: ["redis-server"], aptPackage: "redis-server" });
    if (!redisServer) throw new Error("redis-server is not installed (the global setup installs it)");
    return startRedisCluster(redisServer, dir, join(dir, "logs"), { name: "ports", allocatePort });
  };

  const servesKeys = async (c: RedisClusterInstance): Promise<void> => {
    expect(await c.primaries()).toHaveLength(3);
    const [host, port] = (c.nodes.split(",")[0] as string).split(":");
    const client = new Redis.Cluster([{ host: host as string, port: Number(port) }]);
    try {
      for (const key of ["a", "b", "c", "d"]) await client.set(key, key);
      expect(await Promise.all(["a", "b", "c", "d"].map((k) => client.get(k)))).toEqual(["a", "b", "c", "d"]);
    } finally {
      client.disconnect();
    }
  };

  it("starts when every node's client port + 10000 is taken", async () => {
    // free ports whose port + 10000 this test holds, as an outgoing connection's local port would be
    const allocatePort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (port + 10_000 <= 65_535 && (await hold(port + 10_000, held))) return port;
      }
    };
    cluster = await start(allocatePort);
    await servesKeys(cluster);
  }, 60_000);

  it("starts a node again on other ports when its port was taken after it was picked", async () => {
    let calls = 0;
    const allocatePort = async (): Promise<number> => {
      const port = await freePort();
      // the first port picked is taken before its node binds it
      if (calls++ === 0) await hold(port, held);
      return port;
    };
    cluster = await start(allocatePort);
    await servesKeys(cluster);
  }, 60_000);
});

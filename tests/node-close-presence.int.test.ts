import { io, type Socket } from "socket.io-client";
import { afterAll, describe, expect, it } from "vitest";
import { isCluster, type RedisClient } from "../core/redis-client";
import { RedisPresenceStore } from "../realtime/presence/presence-store-redis";
import { NODE_TTL_MS } from "../realtime/node-liveness";
import { redisClusterClients } from "./support/redis-clients";
import { mintToken, startDistributedDeployment, type Deployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";

const cluster = redisClusterClients();

describe("a drained node's close (Redis Cluster)", () => {
  let deployment: (Deployment & { namespace: string }) | undefined;
  afterAll(async () => deployment?.close());

  it("leaves none of its users online: the presence writes of the drain's last disconnects finish before Redis closes", async () => {
    deployment = await startDistributedDeployment(1, () => ({}), "cluster");
    const node = deployment.nodes[0] ?? expect.fail("no node");
    const tenant = freshTenant("close");
    // 90: under a school's default connection quota (100)
    const users = Array.from({ length: 90 }, (_, i) => `u${i}`);
    const connect = async (user: string): Promise<Socket> => {
      const s = io(node.url, { auth: { token: await mintToken(tenant, user) }, transports: ["websocket"], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        s.once("connect", () => resolve());
        s.once("connect_error", reject);
      });
      return s;
    };
    const sockets = await Promise.all(users.map(connect));
    const presence = new RedisPresenceStore(cluster() as RedisClient, `${deployment.namespace}:`, NODE_TTL_MS);
    const online = async (): Promise<string[]> => Object.entries(await presence.statuses(tenant, users)).filter(([, s]) => s !== "offline").map(([u]) => u);
    const deadline = Date.now() + 10_000;
    while ((await online()).length < users.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await online()).toHaveLength(users.length);

    // a loaded machine, where the disconnects' presence writes take longer than the drain's end takes to
    // reach the close: every primary holds writes for 600 ms (reads go on)
    const client = cluster();
    if (!isCluster(client)) throw new Error("a cluster client");
    await Promise.all(client.nodes("master").map((primary) => primary.call("CLIENT", "PAUSE", "600", "WRITE")));
    await node.drain(200); // every connection told and closed within 200 ms, the last ones just before the close
    await node.close(); // afterAll's close of the deployment finds it closed
    for (const s of sockets) s.close();
    // read at once: no other node is left to reap this one's sessions, so what is online now stays online until one does
    expect(await online()).toEqual([]);
  });
});

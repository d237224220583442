import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterClient } from "../app/redis-connections";
import { ErrorCode } from "../core/errors";
import { RedisSocketFanout } from "../realtime/fanout/socket-fanout-redis";
import type { RoomMessageDelivery } from "../core/events";
import type { RedisClusterInstance } from "../tools/services/redis-cluster";
import { startOwnClusterDeployment } from "./support/cluster-deployment";
import { connectClient, emitWithAck, eventually, nextEvent, type TestClient } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, type Deployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";

interface History {
  messages: Array<{ id: string; seq: number; text: string }>;
}

/**
 * The realtime tier on a Redis Cluster of its own (3 primaries + 3 replicas, cluster-node-timeout 1 s):
 * two nodes share rooms, presence and the connection quota through it; then the primary serving the
 * Socket.IO adapter's channel is killed with SIGKILL. Its replica takes over without any command, cross-node
 * delivery is back within 5 s, and every message acked meanwhile is in the room's history exactly once.
 */
describe("realtime on a Redis Cluster: a primary killed with SIGKILL", () => {
  let cluster: RedisClusterInstance;
  let deployment: Deployment & { namespace: string };
  const clients: TestClient[] = [];
  const url = (i: number): string => (deployment.nodes[i] as { url: string }).url;
  const connect = async (i: number, tenant: string, user: string): Promise<TestClient> => {
    const client = await connectClient(url(i), await mintToken(tenant, user));
    clients.push(client);
    return client;
  };

  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ({ cluster, deployment, close } = await startOwnClusterDeployment("failover", 1_000));
  }, 120_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await close();
  });

  it("shares rooms, presence and the connection quota across nodes", async () => {
    const tenant = freshTenant("rc");
    const res = await (await apiAs(url(0), "platform", "root", "super_admin")).put(`/v1/tenants/${tenant}/quotas`, { maxConnections: 3, overflowGraceSeconds: 0 }); // exact quota: no overflow grace
    expect(res.status).toBe(200);
    const alice = await connect(0, tenant, "alice");
    const bob = await connect(1, tenant, "bob");
    await connect(0, tenant, "carol");
    await expect(connect(1, tenant, "dave")).rejects.toMatchObject({ data: { code: ErrorCode.ConnectionQuota } });

    await emitWithAck(alice, "room:join", { room: "lobby" });
    // presence across nodes: bob, on the other node, sees alice in the room he joins
    expect(await emitWithAck(bob, "room:join", { room: "lobby" })).toMatchObject({ members: ["alice", "bob"] });
    const received = nextEvent<RoomMessageDelivery>(bob, "room:message");
    const ack = (await emitWithAck(alice, "room:message", { room: "lobby", text: "across" })) as { id: string };
    expect(await received).toMatchObject({ id: ack.id, text: "across", user: "alice" });

    // a process without Socket.IO (worker, API-only) reaches users on every node through the sharded emitter
    const redis = clusterClient(cluster.nodes.split(","));
    try {
      const fanout = new RedisSocketFanout(redis, `${deployment.namespace}#socket.io`, true);
      const notified = nextEvent<{ n: number }>(bob, "test:ping");
      fanout.toUsers(tenant, ["bob"], "test:ping", { n: 1 });
      expect(await notified).toEqual({ n: 1 });
      const told = nextEvent<{ code: number }>(alice, "app:disconnect");
      const gone = nextEvent<string>(alice, "disconnect");
      fanout.disconnectUser(tenant, "alice", { code: ErrorCode.TokenRevoked, message: "revoked" });
      expect((await told).code).toBe(ErrorCode.TokenRevoked);
      expect(await gone).toBe("io server disconnect");
      expect(bob.connected).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it("delivers across nodes again within 5 s of the adapter's primary dying, and keeps every acked message", async () => {
    const tenant = freshTenant("rf");
    const alice = await connect(0, tenant, "alice");
    const bob = await connect(1, tenant, "bob");
    await emitWithAck(alice, "room:join", { room: "lobby" });
    await emitWithAck(bob, "room:join", { room: "lobby" });
    const delivered: Array<{ id: string; at: number }> = [];
    bob.on("room:message", (m: RoomMessageDelivery) => delivered.push({ id: m.id, at: Date.now() }));
    const warm = (await emitWithAck(alice, "room:message", { room: "lobby", text: "before" })) as { id: string };
    await eventually(async () => delivered.length, (n) => n === 1);
    expect(delivered[0]?.id).toBe(warm.id);

    // the primary serving the sharded adapter's channel of the default namespace: every broadcast crosses it
    const victim = Number((await cluster.primaryOf(`${deployment.namespace}#socket.io#/#`)).split(":")[1]);
    const killedAt = Date.now();
    await cluster.kill(victim);

    // a message every 100 ms for 10 s, acks awaited concurrently (a failover delays some of them)
    const acked: Array<{ id: string; seq: number }> = [];
    const refused: unknown[] = [];
    const sends: Array<Promise<void>> = [];
    for (let i = 0; Date.now() - killedAt < 10_000; i++) {
      sends.push(
        emitWithAck(alice, "room:message", { room: "lobby", text: `m${i}` }).then(
          (a) => void ((a as { id?: string }).id ? acked.push(a as { id: string; seq: number }) : refused.push(a)),
          (err: unknown) => void refused.push(err),
        ),
      );
      await sleep(100);
    }
    await Promise.all(sends);

    const firstBack = delivered.slice(1).find((d) => d.at > killedAt);
    const recoveryMs = (firstBack?.at ?? Infinity) - killedAt;
    const reasons = refused.map((r) => (r instanceof Error ? r.message : JSON.stringify(r)));
    console.log(`redis failover: cross-node delivery back after ${recoveryMs} ms; ${acked.length} acked, ${refused.length} refused (${[...new Set(reasons)].join("; ")}), ${delivered.length - 1} delivered`);
    expect(recoveryMs).toBeLessThanOrEqual(5_000);
    // once back it stays back: the last second's messages all arrive
    const lastSecond = new Set(acked.slice(-5).map((a) => a.id));
    await eventually(async () => delivered.filter((d) => lastSecond.has(d.id)).length, (n) => n === lastSecond.size);
    expect(new Set(acked.map((a) => a.seq)).size).toBe(acked.length);

    // every acked message is in the history (PostgreSQL, written by the worker), once
    const reader = await mintToken(tenant, "reader");
    const history = await eventually(
      async () => {
        const res = await fetch(`${url(1)}/v1/rooms/lobby/messages?limit=500`, { headers: { authorization: `Bearer ${reader}` } });
        return (await res.json()) as History;
      },
      (h) => acked.every((a) => h.messages.some((m) => m.id === a.id)),
      20_000,
    );
    const ids = history.messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const lost = acked.filter((a) => !ids.includes(a.id));
    expect(lost).toEqual([]);
  }, 90_000);
});

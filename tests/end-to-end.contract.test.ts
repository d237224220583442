import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { startInterlinked } from "../app/interlinked";
import { connectClient, emitWithAck, recordEvents } from "./support/clients";
import { runEndToEndContract } from "./end-to-end.case";
import { mintToken, startDistributedDeployment, startEmbeddedDeployment, testConfig, type Deployment } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { applyContract, inTier } from "./support/tiers";

applyContract<() => Promise<Deployment>>(runEndToEndContract, [
  { name: "embedded (PGlite, in-memory bus, one process)", tier: "unit", open: () => startEmbeddedDeployment() },
  { name: "distributed (2 realtime nodes, Redis adapter, Kafka, worker, PostgreSQL)", tier: "integration", open: () => startDistributedDeployment(2) },
  {
    name: "distributed on a Redis Cluster (2 realtime nodes, sharded adapter, Kafka, worker, PostgreSQL)",
    tier: "integration",
    open: () => startDistributedDeployment(2, () => ({}), "cluster"),
  },
]);

inTier("integration", () => {
  describe("distributed: the ack waits for Kafka", () => {
    it("acks a room message with 5001, not an id, when Kafka cannot take the write", async () => {
      const databaseUrl = await createTestDatabase();
      const node = await startInterlinked(
        testConfig({
          databaseUrl,
          migrateOnStart: true,
          redisUrl: serviceEnv("REDIS_URL"),
          kafkaBrokers: ["127.0.0.1:1"],
          kafkaPublishTimeoutMs: 3_000,
          namespace: testNamespace(),
          roles: new Set(["realtime", "api"]),
        }),
      );
      try {
        const [sender, listener] = await Promise.all([
          connectClient(node.url, await mintToken("school-a", "sender")),
          connectClient(node.url, await mintToken("school-a", "listener")),
        ]);
        await emitWithAck(sender, "room:join", { room: "lobby" });
        await emitWithAck(listener, "room:join", { room: "lobby" });
        const delivered = recordEvents(listener, "room:message");
        const ack = await emitWithAck(sender, "room:message", { room: "lobby", text: "lost?" });
        expect(ack).toEqual({ error: { code: ErrorCode.Unavailable, message: expect.any(String), temporary: true } });
        expect(delivered).toEqual([]);
        sender.close();
        listener.close();
      } finally {
        await node.close();
      }
    }, 60_000);
  });
});

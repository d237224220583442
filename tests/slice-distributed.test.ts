import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { startInterlinked } from "../app/interlinked";
import { connectClient, emitWithAck, recordEvents } from "./support/clients";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { runSliceContract } from "./slice.case";
import { mintToken, startDistributedDeployment, testConfig } from "./support/nodes";

runSliceContract("distributed (2 realtime nodes, Redis adapter, Kafka, worker, PostgreSQL)", () => startDistributedDeployment(2));

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

import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Subscription } from "../core/bus/event-bus";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { DEAD_LETTER_TOPIC, newEvent, streams, type DeadLetter } from "../core/contracts/streams";
import { createMetrics } from "../core/metrics/registry";
import type { DatabaseHandle } from "../db/database";
import { EventWriter } from "../db/event-writer";
import { DrizzleRoomMessageStore } from "../db/room-message-store-drizzle";
import { startStreamConsumer } from "../workers/stream-consumer";
import { eventually } from "./support/clients";
import { openTestPostgres, serviceEnv, testNamespace } from "./support/services";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TENANT = "dlq-school";

/** `npm run dlq -- …` as an operator runs it, against this test's namespace. */
async function dlq(namespace: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join(root, "scripts", "dlq.ts"), ...args], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: serviceEnv("KAFKA_BROKERS"), NAMESPACE: namespace },
    timeout: 60_000,
  });
  return stdout;
}

describe("npm run dlq: list, show and replay the dead-letter topic (real Kafka, PostgreSQL)", () => {
  const namespace = testNamespace();
  let bus: KafkaEventBus;
  let handle: DatabaseHandle;
  let worker: Subscription;

  beforeAll(async () => {
    bus = new KafkaEventBus({ brokers: serviceEnv("KAFKA_BROKERS").split(","), namespace, clientId: "dlq-test", logLevel: "none" });
    handle = await openTestPostgres();
    worker = await startStreamConsumer({ bus, stream: "roomMessages", writer: new EventWriter(handle.db), metrics: createMetrics("dlq-test") });
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await bus?.close();
    await handle?.close();
  });

  it("lists a poison record the worker dead-lettered, shows it, and replays a letter whose cause was fixed", async () => {
    await bus.publish(streams.roomMessages.topic, [{ key: `${TENANT}:r1`, value: "{not json" }]);
    // a letter of an event that a fixed writer now stores (as after a bug fix)
    const event = newEvent("room.message.created", TENANT, { room: "r1", seq: 1, user: "u1", text: "back from the dead" });
    const letter: DeadLetter = { topic: streams.roomMessages.topic, key: `${TENANT}:r1`, value: JSON.stringify(event), reason: "refused by the database: before the fix", at: new Date(Date.now() - 60_000).toISOString() };
    await bus.publish(DEAD_LETTER_TOPIC, [{ key: letter.key, value: JSON.stringify(letter) }]);

    const listing = await eventually(() => dlq(namespace, "list"), (out) => out.includes("2 dead letter(s)"), 40_000);
    const lines = listing.trim().split("\n").slice(0, 2);
    const fixed = lines.find((l) => l.includes("before the fix"));
    const poison = lines.find((l) => l.endsWith("\tnot JSON"));
    expect(poison, listing).toBeDefined();
    expect(fixed, listing).toBeDefined();
    const fixedAt = fixed!.split("\t")[0]!;

    const shown = JSON.parse(await dlq(namespace, "show", fixedAt)) as { position: string; topic: string; value: { id: string } };
    expect(shown).toMatchObject({ position: fixedAt, topic: "room-messages", value: { id: event.id } });

    expect(await dlq(namespace, "replay", fixedAt)).toContain("1 letter(s) replayed");
    const store = new DrizzleRoomMessageStore(handle.db);
    const texts = async () => (await store.list(TENANT, "r1", { afterSeq: 0, limit: 10 })).map((m) => m.text);
    expect(await eventually(texts, (t) => t.length > 0, 20_000)).toEqual(["back from the dead"]);
    // replaying again stores nothing twice
    await dlq(namespace, "replay", fixedAt);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await store.list(TENANT, "r1", { afterSeq: 0, limit: 10 })).toHaveLength(1);
  }, 120_000);
});

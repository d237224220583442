import { like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import { DEAD_LETTER_TOPIC, newEvent, publishEvents, streams, type DeadLetter } from "../core/contracts/streams";
import { AppError, ErrorCode } from "../core/errors";
import { createMetrics } from "../core/metrics/registry";
import type { DatabaseHandle } from "../db/database";
import { openTestPglite } from "../tests/support/pglite";
import { isRetriableDbError } from "../db/errors";
import { presenceSessions } from "../db/schema";
import { EventWriter, eventWriters, type EventWriters } from "../db/event-writer";
import { startStreamConsumer } from "./stream-consumer";

const TENANT = "school-a";
const quotaEvent = () => newEvent("quota.event", TENANT, { kind: "warning" as const, quota: "messages", used: 9, limit: 10 });

// A writer map of a build that lacks the writer of one event type.
const { "quota.event": _quotaWriter, ...withoutQuota } = eventWriters;
// @ts-expect-error every bus event type needs a writer: a map missing "quota.event" does not compile
const incomplete: EventWriters = withoutQuota;

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestPglite();
}, 60_000);
afterAll(async () => {
  await handle.close();
});

/** A memory bus with the quota stream's persister and a collector of dead letters. */
async function consumer<S extends "quota" | "presence">(writer: EventWriter, stream: S = "quota" as S) {
  const bus = new MemoryEventBus();
  const metrics = createMetrics("test");
  const letters: DeadLetter[] = [];
  await bus.subscribe({
    group: "collector",
    topic: DEAD_LETTER_TOPIC,
    handler: async (records) => void letters.push(...records.map((r) => JSON.parse(r.value) as DeadLetter)),
  });
  const stored: string[] = [];
  await startStreamConsumer({ bus, stream, writer, metrics, attempts: 3, afterWrite: (evs) => stored.push(...evs.map((e) => e.id)) });
  const retries = async () => (await metrics.workerRetries.get()).values.reduce((n, v) => n + v.value, 0);
  const lost = async () => (await metrics.ackedLost.get()).values.reduce((n, v) => n + v.value, 0);
  return { bus, letters, stored, retries, lost };
}

describe("stream consumer: event types without a writer", () => {
  it("an event without a writer is a permanent error: dead-lettered once, never retried", async () => {
    const { bus, letters, stored, retries, lost } = await consumer(new EventWriter(handle.db, incomplete));
    const ev = quotaEvent();
    await publishEvents(bus, "quota", [ev]);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toBe('not writable: no writer for event type "quota.event"');
    expect(JSON.parse(letters[0]?.value ?? "{}")).toMatchObject({ id: ev.id });
    expect(stored).toEqual([]);
    expect(await retries()).toBe(0);
    expect(await lost()).toBe(1); // an acked record lost: counted apart, as a defect
    await bus.close();
  });

  it("an event type of a newer producer is dead-lettered while the rest of its batch is stored", async () => {
    const { bus, letters, stored, retries } = await consumer(new EventWriter(handle.db));
    const known = quotaEvent();
    const newer = { ...quotaEvent(), type: "quota.reset" };
    await bus.publish(streams.quota.topic, [
      { key: TENANT, value: JSON.stringify(newer) },
      { key: TENANT, value: JSON.stringify(known) },
    ]);
    expect(letters.map((l) => (JSON.parse(l.value) as { id: string }).id)).toEqual([newer.id]);
    expect(stored).toEqual([known.id]);
    expect(await retries()).toBe(0);
    await bus.close();
  });

  it("the writer refuses an unknown event type with an AppError that is not retriable", async () => {
    const writer = new EventWriter(handle.db);
    const unknown = { ...quotaEvent(), type: "quota.reset" } as unknown as ReturnType<typeof quotaEvent>;
    const err: unknown = await writer.write("quota", [quotaEvent(), unknown]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.UnknownEvent);
    expect(isRetriableDbError(err)).toBe(false);
    expect(isRetriableDbError(new AppError(ErrorCode.Unavailable, "bus down"))).toBe(true);
  });
});

describe("stream consumer: packed records", () => {
  it("stores the events of a packed record and dead-letters its invalid element alone", async () => {
    const { bus, letters, stored, lost } = await consumer(new EventWriter(handle.db), "presence");
    const first = newEvent("presence.session.started", TENANT, { sessionId: "packed-1", user: "kim", role: "student" as const, node: "n1" });
    const bad = { ...newEvent("presence.session.ended", TENANT, { sessionId: "packed-2", user: "lee" }), type: "presence.session.paused" };
    const last = newEvent("presence.session.ended", TENANT, { sessionId: "packed-1", user: "kim" });
    await bus.publish(streams.presence.topic, [{ key: TENANT, value: JSON.stringify([first, bad, last]) }]);
    expect(stored).toEqual([first.id, last.id]);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ topic: streams.presence.topic, key: TENANT });
    expect(letters[0]?.reason).toMatch(/^invalid event: type: /);
    expect(JSON.parse(letters[0]?.value ?? "")).toEqual(bad); // the element alone: a replay carries only it
    expect(await lost()).toBe(1);
    const rows = await handle.db.select().from(presenceSessions).where(like(presenceSessions.sessionId, "packed-%"));
    expect(rows.map((r) => [r.sessionId, r.disconnectedAt?.toISOString()])).toEqual([["packed-1", last.at]]);
    await bus.close();
  });
});

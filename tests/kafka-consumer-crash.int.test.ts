import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../core/log";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import type { Subscription } from "../core/bus/event-bus";
import { serviceEnv, testNamespace } from "./support/services";

/**
 * A subscription whose handler keeps failing (a worker while PostgreSQL is down) runs out of kafkajs's
 * retries: kafkajs crashes the consumer and restarts it after a pause. A close in that window must still
 * close: resolve within seconds, and no handler call after it (a consumer restarted after its close keeps
 * the worker's process alive and its group's partitions taken). Seen after the PostgreSQL outage test and
 * in a chaos run's end ("the worker did not exit after SIGTERM").
 */
describe("a Kafka subscription closed while kafkajs restarts its crashed consumer", () => {
  const buses: KafkaEventBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.splice(0).map((b) => Promise.race([b.close(), new Promise((r) => setTimeout(r, 10_000))])));
  }, 30_000);

  /** A bus whose kafkajs records land in `lines` and go to `onLine` as they are written (the crash and restart records are kafkajs's errors). */
  const busLogging = (lines: string[], onLine: (line: string) => void, commitIntervalMs: number): KafkaEventBus => {
    const write = (line: string): void => {
      lines.push(line);
      onLine(line);
    };
    const log = createLogger({ nodeId: "crash-test", level: "warn", destination: { write } });
    const bus = new KafkaEventBus({ brokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace(), clientId: "crash", partitions: 1, consumerMaxWaitMs: 500, commitIntervalMs, log });
    buses.push(bus);
    return bus;
  };
  const until = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /**
   * Subscribes with a handler that takes the first record and fails on the next (its offset waits for the
   * committer's interval). The close starts as kafkajs writes its record `when` (synchronously: inside the
   * crash's own stop, for the crash record) or `delayMs(that record)` after it. What the close did.
   */
  const closeAt = async (when: RegExp, delayMs?: (record: { retryTime?: number }) => number): Promise<{ closeMs: number; callsAfterClose: number; linesAfterClose: string[]; lines: string[] }> => {
    const lines: string[] = [];
    let calls = 0;
    const opened: { sub?: Subscription } = {};
    /** The close once started: when, and the handler calls and records when it resolved (undefined: not within 20 s). */
    let closing: Promise<{ ms: number; calls: number; lines: number } | undefined> | undefined;
    const startClose = (): void => {
      const sub = opened.sub;
      if (!sub || closing) return;
      const started = Date.now();
      const closed = sub.close().then(() => ({ ms: Date.now() - started, calls, lines: lines.length }));
      closing = Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    };
    const bus = busLogging(
      lines,
      (line) => {
        if (closing || !when.test(line)) return;
        const record = JSON.parse(line) as { retryTime?: number };
        if (delayMs) setTimeout(startClose, delayMs(record));
        else startClose();
      },
      60_000,
    );
    const unavailable = Object.assign(new Error("database unavailable"), { code: "57P03" });
    opened.sub = await bus.subscribe({
      group: "g",
      topic: "t",
      handler: async (records) => {
        calls++;
        if (records.some((r) => r.value === "fails")) throw unavailable;
      },
    });
    await bus.publish("t", [{ key: "k", value: "taken" }]);
    await until("the first record handled", () => calls > 0, 30_000);
    await bus.publish("t", [{ key: "k", value: "fails" }]);
    await until(`kafkajs's ${String(when)}`, () => closing !== undefined, 90_000);
    const closed = await (closing as Promise<{ ms: number; calls: number; lines: number } | undefined> | undefined);
    await new Promise((r) => setTimeout(r, 6_000)); // past kafkajs's restart pause (≤ 3 s here) and a rejoin
    if (!closed) return { closeMs: Number.POSITIVE_INFINITY, callsAfterClose: 0, linesAfterClose: [], lines };
    // a batch in flight when the close began may still be handled during it, not after it
    return { closeMs: closed.ms, callsAfterClose: calls - closed.calls, linesAfterClose: lines.slice(closed.lines), lines };
  };

  it("closes, and stays closed, whether closed at the crash, in the restart pause or as the consumer starts again", async () => {
    const runs = await Promise.all([
      closeAt(/kafkajs: Crash/),
      closeAt(/kafkajs: Restarting the consumer/, () => 0),
      closeAt(/kafkajs: Restarting the consumer/, (r) => (r.retryTime ?? 0) + 20),
      closeAt(/kafkajs: Restarting the consumer/, (r) => (r.retryTime ?? 0) + 300),
    ]);
    for (const r of runs) {
      expect(r.closeMs, r.lines.slice(-5).join("")).toBeLessThan(10_000);
      expect(r.callsAfterClose, r.lines.slice(-5).join("")).toBe(0);
      // no consumer restarted after the close
      expect(r.linesAfterClose.filter((l) => /Restarting the consumer|kafkajs: Crash/.test(l))).toEqual([]);
    }
  }, 150_000);
});

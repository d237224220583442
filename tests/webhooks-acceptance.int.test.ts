import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { openDatabase } from "../db/database";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";
import { ENDPOINT_CACHE_MS } from "../workers/webhooks/consumer";
import { apiAs } from "./support/http";
import { TEST_SECRET, testConfig } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { checkReceived, percentile, publishRoomLoad, type LoadEvent } from "../tools/webhooks/load";
import { startReceiver, type Receiver } from "../tools/webhooks/receiver";

/**
 * The acceptance run of issue 14 (webhooks), scaled down for a shared 2-core machine: 900 events (not
 * 10,000) to 3 endpoints at 40/s while one receiver is down for the first 15 s (not 30 s) and one answers
 * 500 for the first 10 s, and the worker process is killed with SIGKILL mid-stream and started again. The
 * full size (10,000 events, a 30 s outage) is `npm run bench:webhooks` (scripts/bench/webhooks.ts; figures
 * in BENCHMARKS.md).
 */
const EVENTS = 900;
const KEYS = 30;
const RATE = 40;
const DOWN_MS = 15_000;
const ERRORS_MS = 10_000;
const KILL_AT = 450; // events published when the worker is killed (~11 s in)

describe("webhooks acceptance: broken receivers and a killed worker", () => {
  let api: RunningInterlinked;
  let bus: KafkaEventBus;
  let worker: ChildInterlinked | undefined;
  const receivers: Receiver[] = [];
  let env: Record<string, string>;

  const startWorker = async (name: string): Promise<ChildInterlinked> => {
    const port = await freePort();
    const child = spawnInterlinked({ ...env, PORT: String(port), NODE_ID: name });
    try {
      await waitReady(`http://127.0.0.1:${port}`, 60_000);
    } catch (err) {
      await child.stop("SIGKILL");
      throw new Error(`worker did not start: ${child.output().slice(-2000)}`, { cause: err });
    }
    return child;
  };

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const migrator = await openDatabase({ url: databaseUrl });
    await migrator.migrate();
    await migrator.close();
    const namespace = testNamespace();
    const kafkaBrokers = serviceEnv("KAFKA_BROKERS");
    env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers,
      NAMESPACE: namespace,
      AUTH_SECRET: TEST_SECRET,
      HOST: "127.0.0.1",
      ROLES: "workers",
      MEDIA: "0",
      LOG_LEVEL: "warn",
      WEBHOOKS_ALLOW_PRIVATE: "1",
      WEBHOOKS_TIMEOUT_MS: "2000",
      // compressed: 250 ms doubling to 3 s, then 3 s steps: ~100 s in all, longer than the 30 s outage
      WEBHOOKS_RETRY_SCHEDULE: ["250", "500", "1000", "2000", ...Array.from({ length: 32 }, () => "3000")].join(","),
      WEBHOOKS_DISABLE_AFTER_FAILURES: "1000000",
    };
    api = await startInterlinked(testConfig({ databaseUrl, kafkaBrokers: kafkaBrokers.split(","), namespace, nodeId: "acceptance-api", roles: new Set(["api"]) }));
    bus = new KafkaEventBus({ brokers: kafkaBrokers.split(","), namespace, clientId: `${namespace}-loader`, logLevel: "none" });
    worker = await startWorker(`${namespace}-worker-1`);
  }, 180_000);

  afterAll(async () => {
    await worker?.stop("SIGTERM");
    await Promise.all(receivers.map((r) => r.close()));
    await bus?.close();
    await api?.close();
  });

  it(
    `delivers ${EVENTS} events to 3 endpoints at least once, signed and in order per key, the healthy one unaffected, across a kill -9 of the worker`,
    async () => {
      const healthy = await startReceiver();
      const down = await startReceiver();
      let erroring = true;
      const flaky = await startReceiver(() => ({ status: erroring ? 500 : 200 }));
      receivers.push(healthy, down, flaky);
      const admin = await apiAs(api.url, "school-a", "admin-a", "school_admin");
      const secrets: string[] = [];
      for (const r of [healthy, down, flaky]) {
        const res = await admin.post<{ secret: string }>("/v1/webhooks", { url: r.url, events: ["room.message.created"] });
        expect(res.status).toBe(201);
        secrets.push(res.body.secret);
      }
      await new Promise((r) => setTimeout(r, ENDPOINT_CACHE_MS + 100));

      await down.kill();
      const started = Date.now();
      setTimeout(() => void down.revive(), DOWN_MS);
      setTimeout(() => (erroring = false), ERRORS_MS);
      let killedAt = 0;
      let killing: Promise<void> | undefined;
      const events: LoadEvent[] = await publishRoomLoad(bus, "school-a", {
        count: EVENTS,
        keys: KEYS,
        perSecond: RATE,
        onProgress: (n) => {
          if (n >= KILL_AT && !killing) {
            killedAt = Date.now();
            const victim = worker;
            killing = (async () => {
              await victim?.stop("SIGKILL");
              worker = await startWorker(`${env.NAMESPACE}-worker-2`);
            })();
          }
        },
      });
      await killing;

      const deadline = Date.now() + 150_000;
      const complete = () => [healthy, down, flaky].every((r, i) => checkReceived(r.received, events, secrets[i] as string).missing === 0);
      while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      const took = Date.now() - started;

      // the healthy endpoint's latency while both others were failing, of events delivered before the kill
      // (those in flight at the kill wait for the restarted worker and the lease: not the broken endpoints' doing)
      const [h, d, f] = [healthy, down, flaky].map((r, i) => checkReceived(r.received, events, secrets[i] as string, { from: started, to: killedAt - 4_000 }));
      const all = [healthy, down, flaky].map((r, i) => checkReceived(r.received, events, secrets[i] as string));
      const figures = {
        tookMs: took,
        healthy: { p50: percentile(h!.latencies, 50), p99: percentile(h!.latencies, 99), measured: h!.latencies.length },
        down: { p99BeforeKill: percentile(d!.latencies, 99) },
        flaky: { p99BeforeKill: percentile(f!.latencies, 99) },
        delivered: all.map((r) => r.delivered),
        duplicates: all.map((r) => r.duplicates),
      };
      console.log(`webhooks acceptance: ${JSON.stringify(figures)}`);
      for (const report of all) {
        expect(report.missing).toBe(0);
        expect(report.delivered).toBe(EVENTS);
        expect(report.badSignatures).toBe(0);
        expect(report.orderViolations).toEqual([]);
      }
      // the healthy endpoint is not held back by the broken ones (their p99 here: 20–40 s): its p99 while
      // they fail stays within 3 s (measured 0.8–1.7 s on this shared machine under load; BENCHMARKS.md)
      expect(h!.latencies.length).toBeGreaterThan(KILL_AT / 3);
      expect(figures.healthy.p99).toBeLessThan(3_000);
    },
    300_000,
  );
});

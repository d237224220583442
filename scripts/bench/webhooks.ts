/**
 * `npm run bench:webhooks [-- --events 10000 --rate 250 --keys 50 --down 30 --errors 15]`: the full-size
 * webhook acceptance run of issue 14 (tests/webhooks-acceptance.int.test.ts runs it scaled down).
 * `events` room messages are published to Kafka at `rate`/s over `keys` rooms; three endpoints of one
 * school receive them: one healthy, one whose receiver is down for the first `down` s, one answering 500
 * for the first `errors` s. The worker (production bundle, its own process) is killed with SIGKILL when
 * 40 % of the events are published and started again. Prints deliveries/s sustained, the healthy
 * endpoint's p50/p99 delivery latency while the others fail (before the kill) and overall, repeats,
 * order and signature checks. Provisions real services like the tests (or uses DATABASE_URL / KAFKA_BROKERS).
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { KafkaEventBus } from "../../core/bus/event-bus-kafka";
import { newWebhookSecret } from "../../core/webhooks/signature";
import { openDatabase } from "../../db/database";
import { WebhookStore } from "../../db/stores/webhooks";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { freePort } from "../../tools/services/process";
import { createScratchDatabase } from "../../tools/services/postgres";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";
import { checkReceived, percentile, publishRoomLoad } from "../../tools/webhooks/load";
import { startReceiver } from "../../tools/webhooks/receiver";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "10000" },
    rate: { type: "string", default: "250" },
    keys: { type: "string", default: "50" },
    down: { type: "string", default: "30" },
    errors: { type: "string", default: "15" },
  },
});
const EVENTS = Number(args.events);
const RATE = Number(args.rate);
const KEYS = Number(args.keys);
const log = (line: string): void => console.log(`[bench] ${line}`);

ensureBuilt();
const services = await provisionServices(givenServices(process.env), log);
const dbUrl = await createScratchDatabase(services.env.DATABASE_URL, "bench");
const handle = await openDatabase({ url: dbUrl });
await handle.migrate();
const store = new WebhookStore(handle.db);
const namespace = `bw${randomBytes(4).toString("hex")}`;
const env = {
  ROLES: "workers",
  DATABASE_URL: dbUrl,
  KAFKA_BROKERS: services.env.KAFKA_BROKERS,
  NAMESPACE: namespace,
  AUTH_SECRET: randomBytes(32).toString("hex"),
  HOST: "127.0.0.1",
  MEDIA: "0",
  LOG_LEVEL: "warn",
  WEBHOOKS_ALLOW_PRIVATE: "1",
  WEBHOOKS_TIMEOUT_MS: "2000",
  WEBHOOKS_RETRY_SCHEDULE: ["250", "500", "1000", "2000", ...Array.from({ length: 60 }, () => "3000")].join(","),
  WEBHOOKS_DISABLE_AFTER_FAILURES: "1000000",
};
const startWorker = async (name: string): Promise<ChildInterlinked> => {
  const port = await freePort();
  const child = spawnInterlinked({ ...env, PORT: String(port), NODE_ID: name });
  await waitReady(`http://127.0.0.1:${port}`, 90_000);
  return child;
};

const healthy = await startReceiver();
const down = await startReceiver();
let erroring = true;
const flaky = await startReceiver(() => ({ status: erroring ? 500 : 200 }));
const receivers = [healthy, down, flaky];
const secrets: string[] = [];
for (const r of receivers) {
  const secret = newWebhookSecret();
  await store.createEndpoint("bench-school", { url: r.url, events: ["room.message.created"], secret });
  secrets.push(secret);
}
let worker = await startWorker(`${namespace}-worker-1`);
const bus = new KafkaEventBus({ brokers: services.env.KAFKA_BROKERS.split(","), namespace, clientId: `${namespace}-loader`, logLevel: "none" });

log(`${EVENTS} events at ${RATE}/s over ${KEYS} keys to 3 endpoints; receiver 2 down ${args.down} s, receiver 3 answering 500 for ${args.errors} s; worker killed -9 at 40 % (${cpus().length} cores)`);
await down.kill();
const started = Date.now();
setTimeout(() => void down.revive(), Number(args.down) * 1000);
setTimeout(() => (erroring = false), Number(args.errors) * 1000);
let killedAt = 0;
let killing: Promise<void> | undefined;
const events = await publishRoomLoad(bus, "bench-school", {
  count: EVENTS,
  keys: KEYS,
  perSecond: RATE,
  onProgress: (n) => {
    if (n >= EVENTS * 0.4 && !killing) {
      killedAt = Date.now();
      killing = (async () => {
        await worker.stop("SIGKILL");
        worker = await startWorker(`${namespace}-worker-2`);
      })();
    }
  },
});
const publishedAt = Date.now();
await killing;
const deadline = Date.now() + 600_000;
while (receivers.some((r, i) => checkReceived(r.received, events, secrets[i] as string).missing > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
const reports = receivers.map((r, i) => checkReceived(r.received, events, secrets[i] as string));
const lastAt = Math.max(...receivers.map((r) => Math.max(...r.received.map((x) => x.at))));
const beforeKill = checkReceived(healthy.received, events, secrets[0] as string, { from: started, to: killedAt - 4_000 });
const healthyDone = Math.max(...healthy.received.map((x) => x.at));
const delivered = reports.reduce((n, r) => n + r.delivered, 0);
log(`published in ${((publishedAt - started) / 1000).toFixed(1)} s; all delivered ${((lastAt - started) / 1000).toFixed(1)} s after the start`);
log(`deliveries: ${delivered} of ${EVENTS * 3}, ${(delivered / ((lastAt - started) / 1000)).toFixed(0)} deliveries/s sustained (all endpoints, outage and kill included)`);
log(`healthy endpoint: all ${reports[0]?.delivered} delivered ${((healthyDone - started) / 1000).toFixed(1)} s after the start; latency while the others fail, before the kill: p50 ${percentile(beforeKill.latencies, 50)} ms, p99 ${percentile(beforeKill.latencies, 99)} ms (${beforeKill.latencies.length} events); overall p99 ${percentile(reports[0]?.latencies ?? [], 99)} ms`);
for (const [i, r] of reports.entries()) {
  log(`endpoint ${i + 1}: delivered ${r.delivered}, missing ${r.missing}, repeats ${r.duplicates}, bad signatures ${r.badSignatures}, order violations ${r.orderViolations.length}, p99 ${percentile(r.latencies, 99)} ms`);
}
await worker.stop("SIGTERM");
await bus.close();
for (const r of receivers) await r.close();
await handle.close();
await services.stop({ keepLogs: false });
process.exit(reports.every((r) => r.missing === 0 && r.badSignatures === 0 && r.orderViolations.length === 0) ? 0 : 1);

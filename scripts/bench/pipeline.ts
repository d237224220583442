/**
 * `npm run bench:pipeline [-- --messages N --rooms R --rate M --seconds S]`: sustained Kafka → Postgres
 * messages/s and ack → durable latency through the real worker process, and the same flood through a
 * bare kafkajs → pg consumer (scripts/bench/bare-consumer.ts) in the same run. Provisions real services
 * like the tests (or uses REDIS_URL / DATABASE_URL / KAFKA_BROKERS).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { KafkaEventBus } from "../../core/bus/event-bus-kafka";
import { newEvent, publishEvents, streams } from "../../core/contracts/streams";
import type { RoomMessageCreated } from "../../core/contracts/events";
import { openDatabase } from "../../db/database";
import { spawnInterlinked, waitReady } from "../../tools/services/interlinked-child";
import { freePort, waitUntil } from "../../tools/services/process";
import { createScratchDatabase } from "../../tools/services/postgres";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";

const { values: args } = parseArgs({
  options: { messages: { type: "string", default: "30000" }, rooms: { type: "string", default: "50" }, rate: { type: "string", default: "0" }, seconds: { type: "string", default: "15" } },
});
const N = Number(args.messages);
const ROOMS = Number(args.rooms);
const BATCH = 100;
const log = (line: string): void => console.log(`[bench] ${line}`);
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

ensureBuilt(); // the nodes run the production bundle; build it (and fail) before provisioning
const services = await provisionServices(givenServices(process.env), log);
const dbUrl = await createScratchDatabase(services.env.DATABASE_URL, "bench");
const migrator = await openDatabase({ url: dbUrl });
await migrator.migrate();
await migrator.close();
const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
const count = async (table: string): Promise<number> => Number((await db.query(`select count(*) as n from ${table}`)).rows[0].n);

const namespace = `bench${randomBytes(3).toString("hex")}`;
const bus = new KafkaEventBus({ brokers: services.env.KAFKA_BROKERS.split(","), namespace, clientId: "bench", partitions: 6, logLevel: "none" });
const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
const nextSeq = new Map<string, number>();
const make = (i: number): RoomMessageCreated => {
  const room = rooms[i % ROOMS] as string;
  const seq = (nextSeq.get(room) ?? 0) + 1;
  nextSeq.set(room, seq);
  return newEvent("room.message.created", "bench", { room, seq, user: "u", text: `message ${i} ${"x".repeat(80)}` });
};

/** Publishes `total` messages as fast as Kafka acks them (4 concurrent batch publishers). */
async function flood(total: number): Promise<void> {
  let next = 0;
  const publisher = async (): Promise<void> => {
    while (next < total) {
      const start = next;
      next = Math.min(total, next + BATCH);
      const events = Array.from({ length: next - start }, (_, k) => make(start + k));
      await publishEvents(bus, "roomMessages", events);
    }
  };
  await Promise.all([publisher(), publisher(), publisher(), publisher()]);
}

async function storedTimes(table: string): Promise<Map<string, number>> {
  const rows = (await db.query(`select id, extract(epoch from stored_at) * 1000 as t from ${table}`)).rows as Array<{ id: string; t: string }>;
  return new Map(rows.map((r) => [r.id, Number(r.t)]));
}


const results: Array<{ name: string; messages: number; seconds: number; perSecond: number; p50?: number; p99?: number }> = [];
const replayRate = (name: string, stored: Map<string, number>) => {
  let [first, last] = [Infinity, -Infinity];
  for (const t of stored.values()) [first, last] = [Math.min(first, t), Math.max(last, t)];
  const seconds = (last - first) / 1000;
  return { name, messages: stored.size, seconds, perSecond: Math.round(stored.size / seconds) };
};
try {
  // 1. Producer: N messages as fast as Kafka acks them (acks=all, idempotent), no consumer running.
  await bus.ensureTopic(streams.roomMessages.topic);
  const start = Date.now();
  await flood(N);
  const ackSeconds = (Date.now() - start) / 1000;
  results.push({ name: "producer: acked writes (acks=all)", messages: N, seconds: ackSeconds, perSecond: Math.round(N / ackSeconds) });

  // 2. Our worker process drains the backlog: sustained Kafka → Postgres rate (first to last row stored).
  const port = await freePort();
  const worker = spawnInterlinked({ ROLES: "workers", PORT: String(port), DATABASE_URL: dbUrl, KAFKA_BROKERS: services.env.KAFKA_BROKERS, NAMESPACE: namespace, AUTH_SECRET: randomBytes(32).toString("hex"), NODE_ID: "bench-worker" });
  await waitReady(`http://127.0.0.1:${port}`, 60_000);
  await waitUntil("worker drained", async () => (await count("room_messages")) >= N, { timeoutMs: 300_000 });
  results.push(replayRate("interlinked worker: backlog drain", await storedTimes("room_messages")));

  // 3. Latency: paced writes while the worker keeps up; ack time → row's clock_timestamp().
  const rate = Number(args.rate) || Math.max(100, Math.round((results[1]?.perSecond ?? 1000) / 2));
  const paced = new Map<string, number>();
  const pacedStart = Date.now();
  const total = rate * Number(args.seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - pacedStart) / 1000) * rate));
    if (due > sent) {
      const events = Array.from({ length: due - sent }, (_, k) => make(N + sent + k));
      sent = due;
      await publishEvents(bus, "roomMessages", events);
      const t = Date.now();
      for (const ev of events) paced.set(ev.id, t);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await waitUntil("worker drained", async () => (await count("room_messages")) >= N + total, { timeoutMs: 300_000 });
  const stored = await storedTimes("room_messages");
  const lat = [...paced].map(([id, t]) => (stored.get(id) ?? NaN) - t).filter(Number.isFinite).sort((a, b) => a - b);
  results.push({ name: `interlinked worker: paced ${rate}/s for ${args.seconds} s`, messages: total, seconds: (Date.now() - pacedStart) / 1000, perSecond: rate, p50: percentile(lat, 50), p99: percentile(lat, 99) });
  await worker.stop();

  // 4. Baseline in the same run: a bare consumer replays the same topic into a plain table.
  const bare = spawn(process.execPath, ["--import", "tsx", join(dirname(fileURLToPath(import.meta.url)), "bare-consumer.ts")], {
    env: { ...process.env, KAFKA_BROKERS: services.env.KAFKA_BROKERS, DATABASE_URL: dbUrl, TOPIC: bus.topicName(streams.roomMessages.topic), GROUP: `${namespace}.bare` },
    stdio: "inherit",
  });
  await waitUntil("bare consumer drained", async () => (await count("bare_messages").catch(() => 0)) >= N + total, { timeoutMs: 300_000 });
  results.push(replayRate("baseline: bare kafkajs → pg INSERT (no validation, RLS, idempotency)", await storedTimes("bare_messages")));
  bare.kill("SIGTERM");
} finally {
  await bus.close();
  await db.end();
  await services.stop({ keepLogs: false });
}

console.log(`\nPipeline benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log("| run | messages | seconds | msgs/s | ack→durable p50 ms | p99 ms |\n|---|---|---|---|---|---|");
for (const r of results) console.log(`| ${r.name} | ${r.messages} | ${r.seconds.toFixed(1)} | ${r.perSecond} | ${r.p50?.toFixed(0) ?? "—"} | ${r.p99?.toFixed(0) ?? "—"} |`);
process.exit(0);

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomMessageCreated } from "../core/contracts/events";
import { newEvent, publishEvents, streams } from "../core/contracts/streams";
import { eventually } from "./support/clients";
import { coresBetween, pidsNamed, readCpu, type CpuReading } from "./support/cpu-use";
import { describeReplication, readTopic, startReplicatedKafka, waitInSync, type ReplicatedKafka } from "./support/kafka-replicated";

const ROOMS = 20;
const BATCH = 200;
/**
 * Batches in flight at once (CONCURRENCY × BATCH records waiting for their acks, below the bus's 10,000
 * pending records): many sends per partition wait for the brokers when one dies. A closed loop's rate is
 * what it keeps in flight over the acks' latency, which on a saturated 2-core machine is ~0.5-1 s.
 */
const CONCURRENCY = 32;
/** Acked records between two steps of a round (before the kill, after it). */
const STEP = 2_000;
/** Broker kills in one run, each broker back and in sync before the next: KAFKA_CHAOS_ROUNDS, default 3. */
const ROUNDS = Number(process.env.KAFKA_CHAOS_ROUNDS ?? 3);
const TENANT = "school-k";
/** The window before each kill over which the stream's acked rate is taken, ms (and the least time of steady stream before a kill). */
const RATE_WINDOW_MS = 3_000;
/**
 * The stream's start before the first window, ms: producers connecting, and the JIT of the fresh brokers
 * and of this process (with 3 s, the first window ran at 5,001/s where the later ones ran at 8,700-13,100/s).
 */
const WARMUP_MS = 8_000;
/** The least acked rate over the window before each kill, records/s (the issue: a broker kill at ≥ 5,000 msgs/s). */
const MIN_RATE = 5_000;

/**
 * A 3-broker KRaft cluster of its own (3 voters), topics at replication factor 3 with min.insync.replicas
 * 2, the bus's idempotent acks=all producer, and a worker process writing room messages to PostgreSQL.
 * A stream of keyed room messages runs while, ROUNDS times, one broker (2, then 3, then 1, …) is killed
 * with SIGKILL, then started again and waited for until every replica is back in sync: every acked
 * message is in the topic and stored in PostgreSQL, none twice, and each kill came while the stream ran
 * at ≥ MIN_RATE acked records/s (over the RATE_WINDOW_MS before it; the log says where the CPU went).
 * The loss this guards against (acked records absent from the topic) came from the producer's sequence
 * numbers: see core/bus/partition-sender.ts. Not in `npm test` (about 3 minutes on a shared 2-core
 * machine, most of it starting the cluster): `npm run test:chaos`.
 */
describe("Kafka with replication (chaos, not in npm test): brokers killed mid-stream (3 brokers of its own, worker process, PostgreSQL)", () => {
  let cluster: ReplicatedKafka | undefined;

  beforeAll(async () => {
    cluster = await startReplicatedKafka("rf3-worker");
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop(process.env.KAFKA_CHAOS_KEEP_LOGS);
  });

  it("stores every acked message once when a broker dies mid-stream", async () => {
    const { kafka, bus, databaseUrl, worker } = cluster as ReplicatedKafka;
    const topic = bus.topicName(streams.roomMessages.topic);
    await bus.ensureTopic(streams.roomMessages.topic);
    // the guarantees the scenario relies on, as the brokers report them
    expect(await describeReplication(kafka.brokers, topic)).toEqual({ replicas: Array(6).fill(3), minInsyncReplicas: "2", uncleanLeaderElection: "false" });

    const seqs = new Map<number, number>();
    let made = 0;
    const nextBatch = (): RoomMessageCreated[] =>
      Array.from({ length: BATCH }, () => {
        const room = made++ % ROOMS;
        const seq = (seqs.get(room) ?? 0) + 1;
        seqs.set(room, seq);
        return newEvent("room.message.created", TENANT, { room: `room-${room}`, seq, user: "u", text: `message ${made}` });
      });
    const acked: string[] = [];
    const refused: string[] = [];
    let running = true;
    const started = performance.now();
    const lane = async (): Promise<void> => {
      while (running) {
        const batch = nextBatch();
        try {
          await publishEvents(bus, "roomMessages", batch);
          acked.push(...batch.map((e) => e.id));
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
          refused.push(`${batch.length}: ${err instanceof Error ? err.message : String(err)}${cause}`);
        }
      }
    };
    // the acked rate over the 3 s before each kill (the issue asks for kills at ≥ 5,000 msgs/s), and
    // where the machine's CPU went meanwhile (this process drives the stream; the worker stores it)
    // (PostgreSQL is the run's shared one: "postgres" is every postgres process of the machine)
    const pids = (): Record<string, number | number[] | undefined> => ({ test: process.pid, worker: worker.child.pid, postgres: pidsNamed("postgres"), ...Object.fromEntries(kafka.members.map((m) => [`broker ${m.nodeId}`, m.proc.child.pid])) });
    const samples: Array<{ at: number; n: number; cpu: CpuReading }> = [];
    const sample = (): void => void samples.push({ at: performance.now(), n: acked.length, cpu: readCpu(pids()) });
    sample();
    const sampler = setInterval(sample, 500);
    const rateBefore = (at: number): { rate: number; cores: string } => {
      const then = samples.filter((s) => s.at <= at - RATE_WINDOW_MS).at(-1) ?? (samples[0] as (typeof samples)[number]);
      const seconds = Math.max(0.001, (at - then.at) / 1000);
      return { rate: Math.round((acked.length - then.n) / seconds), cores: coresBetween(then.cpu, readCpu(pids()), seconds) };
    };
    const ackedPast = (n: number): Promise<number> => eventually(async () => acked.length, (a) => a >= n, 120_000);
    /** A kill comes after STEP more acked records and at least a whole rate window of the stream on the full cluster. */
    const steadyFor = async (since: number): Promise<void> => {
      await ackedPast(acked.length + STEP);
      const wait = since + RATE_WINDOW_MS + 250 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    const rates: number[] = [];
    const faults = (async () => {
      const kills: string[] = [];
      try {
        let since = started + WARMUP_MS;
        for (let round = 0; round < ROUNDS; round++) {
          const victim = [2, 3, 1][round % 3] as number;
          await steadyFor(since);
          const at = acked.length;
          const { rate, cores } = rateBefore(performance.now());
          rates.push(rate);
          await kafka.kill(victim);
          await ackedPast(acked.length + STEP);
          await kafka.restart(victim);
          await waitInSync(kafka.brokers, topic);
          since = performance.now();
          kills.push(`broker ${victim} killed at ${at} acked (${rate}/s over the ${RATE_WINDOW_MS / 1000} s before; cores: ${cores})`);
        }
        await ackedPast(acked.length + STEP);
      } finally {
        running = false;
        clearInterval(sampler);
      }
      return kills;
    })();
    const [kills] = await Promise.all([faults, ...Array.from({ length: CONCURRENCY }, lane)]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`kafka rf3: ${acked.length} acked in ${seconds.toFixed(1)} s (${Math.round(acked.length / seconds)}/s), ${kills.join(", ")}; ${refused.length} batches refused ${refused.slice(0, 2).join("; ")}`);
    expect(kills).toHaveLength(ROUNDS);
    expect(rates.filter((rate) => rate < MIN_RATE), `acked rates over the ${RATE_WINDOW_MS / 1000} s before each kill: ${rates.join(", ")}/s`).toEqual([]);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const storedIds = async (): Promise<Set<string>> => new Set((await client.query("select id from room_messages where tenant_id = $1", [TENANT])).rows.map((r: { id: string }) => r.id));
      // rows of refused batches may land too (Kafka may have taken them): wait for the acked ones themselves
      const stored = await eventually(storedIds, (ids) => acked.every((id) => ids.has(id)), 60_000).catch(() => storedIds());
      const stats = (await client.query("select count(*) as n, count(distinct id) as ids from room_messages where tenant_id = $1", [TENANT])).rows[0];
      const lost = acked.filter((id) => !stored.has(id));
      console.log(`kafka rf3: ${stored.size} rows, ${lost.length} acked lost, ${Number(stats.n) - Number(stats.ids)} duplicate rows`);
      // where acked records went: the whole topic, every partition read to its high watermark
      const inTopic = await readTopic(kafka.brokers, topic);
      const notInTopic = acked.filter((id) => !inTopic.ids.has(id));
      const twiceInTopic = [...inTopic.ids.values()].filter((n) => n > 1).length;
      console.log(`kafka rf3: topic read ${inTopic.complete ? "to its end" : "NOT to its end"}: ${inTopic.records} records, ${notInTopic.length} acked absent from it, ${twiceInTopic} ids there more than once`);
      if (lost.length > 0) {
        const errors = worker.output().split("\n").filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'));
        console.log(`kafka rf3: ${lost.filter((id) => !inTopic.ids.has(id)).length} of the missing rows are not in the topic either (${lost.slice(0, 3).join(", ")}, …); worker: ${errors.length} warnings/errors, last: ${errors.slice(-3).join(" | ").slice(0, 1500)}`);
      }
      expect(inTopic.complete).toBe(true);
      expect(notInTopic).toEqual([]);
      expect(lost).toEqual([]);
      expect(Number(stats.n)).toBe(Number(stats.ids));
    } finally {
      await client.end();
    }
  }, 480_000);
});

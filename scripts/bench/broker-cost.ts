/**
 * `npm run bench:broker-cost [-- --rate 100 --seconds 20 --rounds 2 --jit c1]`: what our Kafka traffic costs
 * the brokers. Starts a 3-broker KRaft cluster (RF 3, min.insync 2, as the chaos command's), then measures
 * the brokers' CPU (cores, from /proc) and the loopback packets per second in turn: idle; publishing
 * `--rate` single-record messages/s through the KafkaEventBus (acks=all, keyed over 500 keys) with no
 * consumer; and the same with one subscription that commits after each batch (`commitIntervalMs` 0,
 * kafkajs's own) or once a second (the default). The two subscription phases alternate `--rounds` times,
 * each on a new consumer group, so the brokers' JIT warming favours neither. A benchmark, not a test.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KafkaEventBus } from "../../core/bus/event-bus-kafka";
import { startKafkaCluster } from "../../tools/services/kafka-cluster";
import { ensureKafkaJars } from "../../tools/services/kafka";
import { ensureCommands } from "../../tools/services/packages";
import { requirements } from "../../tools/services/provision";
import { cpuSeconds } from "./proc";

const { values: a } = parseArgs({
  options: {
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    rounds: { type: "string", default: "2" },
    jit: { type: "string", default: "c1" },
  },
});
const rate = Number(a.rate);
const seconds = Number(a.seconds);
const rounds = Number(a.rounds);
const jit = a.jit === "c2" ? "c2" : "c1";
const log = (line: string): void => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bins = await ensureCommands(
  requirements({ redis: false, postgres: false }).filter((r) => r.what === "java" || r.what === "mvn"),
  log,
);
const lib = await ensureKafkaJars(bins.get("mvn") as string, log);
const dir = mkdtempSync(join(tmpdir(), "bench-broker-cost-"));
const cluster = await startKafkaCluster(bins.get("java") as string, lib, dir, dir, { jit });
const loopbackPackets = (): number => {
  const line = readFileSync("/proc/net/dev", "utf8")
    .split("\n")
    .find((l) => l.trim().startsWith("lo:"));
  return Number(line?.trim().split(/\s+/)[2] ?? 0);
};
const brokersCpu = (): number => cluster.members.reduce((sum, m) => sum + cpuSeconds(m.proc.child.pid as number), 0);

const rows: Array<{ phase: string; cores: number; packets: number }> = [];
async function measure(phase: string): Promise<void> {
  const [cpu0, packets0, t0] = [brokersCpu(), loopbackPackets(), performance.now()];
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const row = { phase, cores: (brokersCpu() - cpu0) / elapsed, packets: (loopbackPackets() - packets0) / elapsed };
  rows.push(row);
  log(`${phase}: brokers ${row.cores.toFixed(3)} cores, ${row.packets.toFixed(0)} loopback packets/s`);
}

const bus = (commitIntervalMs: number): KafkaEventBus =>
  new KafkaEventBus({ brokers: cluster.brokers.split(","), namespace: "bench", clientId: "broker-cost", replicationFactor: 3, minInsyncReplicas: 2, commitIntervalMs, logLevel: "none" });

const publisher = bus(0);
try {
  log(`cluster up (${jit} JIT); settling 20 s`);
  await sleep(20_000);
  await measure("idle");
  await publisher.prepare(["t"]);
  let sent = 0;
  let failed = 0;
  let publishing = true;
  const loop = (async () => {
    const start = performance.now();
    while (publishing) {
      const n = sent++;
      void publisher.publish("t", [{ key: `k${n % 500}`, value: JSON.stringify({ n, text: "x".repeat(200) }) }]).catch(() => void failed++);
      const wait = start + (sent * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();
  await sleep(10_000);
  await measure(`publishing ${rate}/s, no consumer`);
  for (let round = 1; round <= rounds; round++) {
    for (const interval of [0, 1_000]) {
      const consumerBus = bus(interval);
      let handled = 0;
      const sub = await consumerBus.subscribe({ group: `g-${round}-${interval}`, topic: "t", handler: async (records) => void (handled += records.length) });
      await sleep(10_000); // catches up on what was published before it joined
      const before = handled;
      await measure(`publishing ${rate}/s + a subscription committing ${interval === 0 ? "after each batch" : `every ${interval} ms`} (round ${round})`);
      log(`  it handled ${((handled - before) / seconds).toFixed(0)} records/s`);
      await sub.close();
      await consumerBus.close();
    }
  }
  publishing = false;
  await loop;
  log(`published ${sent}, failed ${failed}`);
  console.log(`\n| phase | brokers' CPU, cores | loopback packets/s |\n|---|---|---|`);
  for (const r of rows) console.log(`| ${r.phase} | ${r.cores.toFixed(3)} | ${r.packets.toFixed(0)} |`);
} finally {
  await publisher.close();
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

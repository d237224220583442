/**
 * `npm run chaos [-- --clients 10000 --rate 1000 --faults node-kill,node-drain --duration 60]`: starts the
 * whole cluster (3 realtime nodes behind nginx, a worker, a Redis Cluster 3+3, 3 Kafka brokers RF 3,
 * PostgreSQL), drives SDK clients over several processes with keyed, acked room and chat traffic and
 * presence, injects each fault in turn, checks the invariants after each, prints a markdown table and
 * writes the JSON summary and the table to `--out` (default chaos-results/<time>.{json,md}).
 * `--redis env --kafka env --postgres env` take those parts from REDIS_URL / KAFKA_BROKERS / DATABASE_URL
 * instead (small runs; faults that need to own a part are then skipped). `--logs DIR` keeps the nodes' and
 * workers' output (and nginx's error log) there; `--cpu-prof DIR` writes each realtime node's CPU profile there
 * (read it with scripts/bench/profile-summary.ts) and each client process's under DIR/client-N/ (its main
 * thread's and tsx's loader thread's, Node's file names). `--engine ws|uws` picks the realtime nodes' engine
 * (default uws); `--kafka-jit c1|c2`, how far the brokers' JIT compiles (default c1: less of the machine spent
 * compiling; RELIABILITY.md has both measured). `--client-nice N` runs the SDK client processes at nice N (default
 * 0): they stand for users on other machines, yet here they share the 2 cores with the tier they measure.
 * `--node-nice N` runs the realtime nodes at nice N (default 0; negative needs root): nodes with cores of their
 * own, which this machine cannot give them. `--redis-kill node-set|other`: the Redis primary kill hits the primary
 * serving the presence node set (default: every node's liveness beat goes there) or one that does not. A
 * benchmark, not a test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FAULTS, type FaultName } from "./faults";
import { markdownReport } from "./report";
import { runChaos } from "./run";

const { values: a } = parseArgs({
  options: {
    clients: { type: "string", default: "10000" },
    processes: { type: "string" },
    rate: { type: "string", default: "1000" },
    "room-size": { type: "string", default: "20" },
    "chat-share": { type: "string", default: "0.2" },
    ghosts: { type: "string", default: "10" },
    duration: { type: "string", default: "60" },
    faults: { type: "string", default: FAULTS.join(",") },
    nodes: { type: "string", default: "3" },
    workers: { type: "string", default: "1" },
    engine: { type: "string", default: "uws" },
    "kafka-jit": { type: "string", default: "c1" },
    redis: { type: "string", default: "own" },
    kafka: { type: "string", default: "own" },
    postgres: { type: "string", default: "own" },
    "postgres-down": { type: "string", default: "60" },
    "redis-kill": { type: "string", default: "node-set" },
    partition: { type: "string", default: "30" },
    "catch-up": { type: "string", default: "180" },
    out: { type: "string" },
    logs: { type: "string" },
    "cpu-prof": { type: "string" },
    "client-nice": { type: "string", default: "0" },
    "node-nice": { type: "string", default: "0" },
  },
});
const source = (name: string, v: string | undefined): "own" | "env" => {
  if (v === "own" || v === "env") return v;
  throw new Error(`--${name}: own or env`);
};
const oneOf = <T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T => {
  const found = allowed.find((x) => x === v);
  if (found === undefined) throw new Error(`--${name}: one of ${allowed.join(", ")}`);
  return found;
};
const faults = (a.faults ?? "").split(",").map((f) => f.trim()).filter((f) => f !== "");
const unknown = faults.filter((f) => !(FAULTS as readonly string[]).includes(f));
if (unknown.length > 0) throw new Error(`unknown fault(s) ${unknown.join(", ")}; known: ${FAULTS.join(", ")}`);
const clients = Number(a.clients);
const log = (line: string): void => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const summary = await runChaos({
  clients,
  processes: Number(a.processes ?? Math.max(1, Math.min(8, Math.ceil(clients / 1_500)))),
  rate: Number(a.rate),
  roomSize: Number(a["room-size"]),
  chatShare: Number(a["chat-share"]),
  ghostsPerProcess: Number(a.ghosts),
  durationMs: Number(a.duration) * 1000,
  faults: faults as FaultName[],
  nodes: Number(a.nodes),
  workers: Number(a.workers),
  engine: oneOf("engine", a.engine, ["ws", "uws"] as const),
  kafkaJit: oneOf("kafka-jit", a["kafka-jit"], ["c1", "c2"] as const),
  redis: source("redis", a.redis),
  kafka: source("kafka", a.kafka),
  postgres: source("postgres", a.postgres),
  postgresDownMs: Number(a["postgres-down"]) * 1000,
  partitionMs: Number(a.partition) * 1000,
  redisKill: oneOf("redis-kill", a["redis-kill"], ["node-set", "other"] as const),
  catchUpMs: Number(a["catch-up"]) * 1000,
  keepLogs: a.logs,
  ...(a["cpu-prof"] ? { cpuProfDir: resolve(a["cpu-prof"]) } : {}),
  clientNice: Number(a["client-nice"]),
  nodeNice: Number(a["node-nice"]),
  log,
});
const table = markdownReport(summary);
console.log(`\n${table}`);
const out = a.out ?? `chaos-results/${summary.startedAt.replace(/[:.]/g, "-")}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(summary, null, 2));
writeFileSync(out.replace(/\.json$/, "") + ".md", table);
log(`summary: ${out} and ${out.replace(/\.json$/, "")}.md`);
process.exit(0);

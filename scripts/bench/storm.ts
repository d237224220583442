/**
 * `npm run bench:storm [-- --per-node 15000 --engine uws --rate 20 --timeout 60]`: the reconnect storm.
 * Three realtime nodes (production bundle, on Redis/Kafka/PostgreSQL, routes n0…n2) behind nginx with the
 * production config (nginx/render-config.ts), holding `--per-node` authenticated sockets each, every one
 * joined to a room of 20. Then kill -9 of one node while room messages flow (`--rate` per second, from
 * random sockets): the benchmark measures, from the kill, when every socket of that node is reconnected
 * (through nginx, to the other two), authenticated and rejoined to its room with `since`; and counts the
 * messages refused with 5005 and the sockets the survivors dropped.
 *
 * Clients are raw Engine.IO/Socket.IO WebSocket clients in forked processes (scripts/bench/storm-client.ts),
 * at most 10,000 per process and per source address 127.x.y.z. File descriptors: a process here may hold
 * at most `ulimit -Hn` files (20,000 on the reference machine, not raisable): after the kill each survivor
 * holds 1.5 × `--per-node` sockets, so `--per-node` is capped at (hard limit − 500) / 1.5 (13,000 there)
 * and the report says so. The npm script raises the soft limit to the hard one (`ulimit -n`).
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { openDatabase } from "../../db/database";
import { TenantStore } from "../../db/stores/tenants";
import { nginxDefaults, renderNginxConfig } from "../../nginx/render-config";
import { realtimeNodeEnv, spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { startNginx } from "../../tools/services/nginx";
import { createScratchDatabase } from "../../tools/services/postgres";
import { freePort } from "../../tools/services/process";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";
import { cpuSeconds } from "./proc";

const { values: args } = parseArgs({
  options: {
    "per-node": { type: "string", default: "15000" },
    engine: { type: "string", default: "uws" },
    rate: { type: "string", default: "20" },
    timeout: { type: "string", default: "60" },
    concurrency: { type: "string", default: "100" },
    /** A directory to write each node's log to (nodes log at warn). */
    logs: { type: "string" },
    /** A directory for each node's CPU profile (`--cpu-prof`, written when the node exits at the end). */
    profile: { type: "string" },
    /** Loopback addresses nginx connects to the nodes from (127.0.0.1 …): nginx/render-config.ts `upstreamSources`. */
    "nginx-sources": { type: "string", default: "8" },
  },
});
const log = (line: string): void => console.log(`[storm] ${new Date().toISOString().slice(11, 23)} ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODES = 3;
const PER_CLIENT = 10_000;
const ROOM_SIZE = 20;
const TENANT = "storm";

const hardLimit = Number(execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim()) || 20_000;
const softLimit = Number(execFileSync("sh", ["-c", "ulimit -Sn"], { encoding: "utf8" }).trim()) || 1_024;
const asked = Number(args["per-node"]);
const cap = Math.floor((Math.min(hardLimit, softLimit) - 500) / 1.5);
const perNode = Math.min(asked, cap);
if (perNode < asked) log(`--per-node ${asked} capped at ${perNode}: a survivor holds 1.5 × per-node sockets after the kill and a process may open ${Math.min(hardLimit, softLimit)} files (ulimit -n; hard ${hardLimit})`);
const total = perNode * NODES;

type Status = { type: "status"; phases: number[][]; clients: number; joined: number; displaced: number; rejoined: number; rejoinMs: number[]; routes: Record<string, number>; staleAcks: number; connectErrors: Record<string, number>; survivorsDropped: number; refused5005: number; messagesOk: number; messageErrors: Record<string, number>; joinErrors: Record<string, number>; recovered: number; notRecovered: number; lostWithSocket: number };

/** A forked client process with request/answer over IPC. */
function startClient(): { child: ChildProcess; ask<T>(msg: object, type: string, timeoutMs?: number): Promise<T> } {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), "storm-client.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting: Array<{ type: string; resolve(m: unknown): void }> = [];
  child.on("message", (m: { type: string }) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
  });
  const ask = <T>(msg: object, type: string, timeoutMs = 300_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      waiting.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m as T)) });
      if (msg) child.send(msg);
    });
  return { child, ask };
}

function merge(all: Status[]) {
  const sum = (f: (s: Status) => number) => all.reduce((a, s) => a + f(s), 0);
  const counts = (f: (s: Status) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(f(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    joined: sum((s) => s.joined),
    displaced: sum((s) => s.displaced),
    rejoined: sum((s) => s.rejoined),
    routes: counts((s) => s.routes),
    survivorsDropped: sum((s) => s.survivorsDropped),
    refused5005: sum((s) => s.refused5005),
    messagesOk: sum((s) => s.messagesOk),
    messageErrors: counts((s) => s.messageErrors),
    joinErrors: counts((s) => s.joinErrors),
    connectErrors: counts((s) => s.connectErrors),
    recovered: sum((s) => s.recovered),
    notRecovered: sum((s) => s.notRecovered),
    staleAcks: sum((s) => s.staleAcks),
    lostWithSocket: sum((s) => s.lostWithSocket),
    rejoinMs: all.flatMap((s) => s.rejoinMs).sort((a, b) => a - b),
    phases: all.flatMap((s) => s.phases),
  };
}
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

ensureBuilt();
const services = await provisionServices(givenServices(process.env), log);
const runDir = mkdtempSync(join(tmpdir(), "interlinked-storm-"));
const nodes: ChildInterlinked[] = [];
const clients: Array<ReturnType<typeof startClient>> = [];
let nginx: { stop(): Promise<void> } | undefined;
const load0 = loadavg();
let exitCode = 0;
try {
  const databaseUrl = await createScratchDatabase(services.env.DATABASE_URL, "storm");
  const db = await openDatabase({ url: databaseUrl });
  await db.migrate();
  await new TenantStore(db.db).setOverrides(TENANT, { maxConnections: total * 2 });
  await db.close();
  const secret = randomBytes(32).toString("hex");
  const namespace = `storm${randomBytes(3).toString("hex")}`;
  const urls: string[] = [];
  for (let i = 0; i < NODES; i++) {
    const port = await freePort();
    const setup = { port, databaseUrl, redisUrl: services.env.REDIS_URL, kafkaBrokers: services.env.KAFKA_BROKERS, namespace, secret, engine: args.engine === "ws" ? "ws" : "uws", nodeId: `storm-${i}` } as const;
    const node = spawnInterlinked(
      realtimeNodeEnv(setup, {
        STICKY_ROUTE: `n${i}`,
        MEDIA: "0",
        LOG_LEVEL: "warn",
      }),
      args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : [],
    );
    nodes.push(node);
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map((u) => waitReady(u, 90_000)));
  const port = await freePort();
  nginx = await startNginx({
    bin: services.env.NGINX_BIN,
    dir: runDir,
    port,
    config: renderNginxConfig({
      ...nginxDefaults,
      sockets: total,
      listen: `127.0.0.1:${port}`,
      nodes: urls.map((u, i) => ({ route: `n${i}`, address: new URL(u).host })),
      runDir,
      upstreamSources: Array.from({ length: Math.max(1, Number(args["nginx-sources"])) }, (_, i) => `127.0.0.${i + 1}`),
    }),
  });
  log(`3 ${args.engine} nodes behind nginx :${port}; ${total} sockets (${perNode} per node), rooms of ${ROOM_SIZE}; load average ${load0.map((l) => l.toFixed(1)).join(" ")}`);

  // clients: ≤ 10,000 sockets per process, spread over 4 source addresses each (never reused within a run)
  const a = 1 + (process.pid % 250);
  const processes = Math.ceil(total / PER_CLIENT);
  for (let k = 0; k < processes; k++) {
    const c = startClient();
    clients.push(c);
    await c.ask({}, "up", 30_000);
    const first = Math.floor((k * total) / processes);
    const count = Math.floor(((k + 1) * total) / processes) - first;
    await c.ask(
      { cmd: "init", port, secret, tenant: TENANT, first, count, rooms: Math.ceil(total / ROOM_SIZE), addresses: [0, 1, 2, 3].map((j) => `127.${a}.${k}.${2 + j}`), concurrency: Math.ceil(Number(args.concurrency) / processes) },
      "ready",
      120_000,
    );
  }
  const cpu0 = nodes.map((n) => cpuSeconds(n.child.pid as number));
  const connectStart = Date.now();
  const connected = await Promise.all(clients.map((c) => c.ask<{ ok: number; failed: number; ms: number }>({ cmd: "connect" }, "connected", 400_000)));
  const connectS = (Date.now() - connectStart) / 1000;
  const okTotal = connected.reduce((s, c) => s + c.ok, 0);
  const cpuConnect = nodes.map((n, i) => cpuSeconds(n.child.pid as number) - cpu0[i]!);
  let status = merge(await Promise.all(clients.map((c) => c.ask<Status>({ cmd: "status" }, "status"))));
  log(`connected and joined: ${okTotal}/${total} in ${connectS.toFixed(1)} s (${Math.round(okTotal / connectS)}/s through nginx; node CPU ${cpuConnect.map((c) => c.toFixed(1)).join("/")} s); by node ${JSON.stringify(status.routes)}; failed ${connected.reduce((s, c) => s + c.failed, 0)}; errors ${JSON.stringify(status.connectErrors)}`);

  for (const c of clients) c.child.send({ cmd: "traffic", perSecond: Number(args.rate) / clients.length });
  await sleep(5_000);
  const before = merge(await Promise.all(clients.map((c) => c.ask<Status>({ cmd: "status" }, "status"))));
  log(`before the kill (5 s of ${args.rate} msgs/s): ${before.messagesOk} answered, 5005: ${before.refused5005}, errors ${JSON.stringify(before.messageErrors)}`);

  const victimIndex = 1;
  const victim = `n${victimIndex}`;
  const onVictim = status.routes[victim] ?? 0;
  const killedAt = Date.now();
  nodes[victimIndex]!.child.kill("SIGKILL");
  await Promise.all(clients.map((c) => c.ask({ cmd: "killed", route: victim, at: killedAt }, "killed")));
  log(`kill -9 of ${victim} (${onVictim} sockets)`);
  const survivorCpu0 = nodes.map((n, i) => (i === victimIndex ? 0 : cpuSeconds(n.child.pid as number)));
  const deadline = killedAt + Number(args.timeout) * 1000;
  let lastLog = 0;
  for (;;) {
    await sleep(250);
    status = merge(await Promise.all(clients.map((c) => c.ask<Status>({ cmd: "status" }, "status"))));
    if (Date.now() - lastLog >= 2_000) {
      lastLog = Date.now();
      log(`+${((Date.now() - killedAt) / 1000).toFixed(1)} s: rejoined ${status.rejoined}/${status.displaced}; joined ${status.joined}/${okTotal}; by node ${JSON.stringify(status.routes)}; 5005 ${status.refused5005}; survivors dropped ${status.survivorsDropped}`);
    }
    if ((status.displaced > 0 && status.rejoined >= status.displaced && status.joined >= okTotal) || Date.now() > deadline) break;
  }
  const settledS = (Date.now() - killedAt) / 1000;
  await sleep(3_000); // answers in flight; drops that follow the storm
  const survivorCpu = nodes.map((n, i) => (i === victimIndex ? NaN : cpuSeconds(n.child.pid as number) - survivorCpu0[i]!));
  const end = merge(await Promise.all(clients.map((c) => c.ask<Status>({ cmd: "status", full: true }, "status"))));
  if (args.logs) {
    mkdirSync(args.logs, { recursive: true });
    nodes.forEach((n, i) => writeFileSync(join(args.logs as string, `node-${i}.log`), n.output()));
    if (existsSync(join(runDir, "error.log"))) copyFileSync(join(runDir, "error.log"), join(args.logs, "nginx-error.log"));
  }
  const overloadLogs = nodes.filter((_, i) => i !== victimIndex).map((n) => (n.output().match(/over capacity/g) ?? []).length);
  const load1 = loadavg();
  const ms = end.rejoinMs;
  const result = {
    perNode,
    total,
    engine: args.engine,
    connectedBeforeKill: okTotal,
    onVictim,
    displaced: end.displaced,
    rejoined: end.rejoined,
    rejoinP50s: pct(ms, 0.5) / 1000,
    rejoinP99s: pct(ms, 0.99) / 1000,
    allRejoinedS: end.rejoined >= end.displaced ? (ms.at(-1) ?? NaN) / 1000 : NaN,
    settledS,
    recovered: end.recovered,
    notRecovered: end.notRecovered,
    refused5005: end.refused5005,
    messagesOk: end.messagesOk,
    messageErrors: end.messageErrors,
    joinErrors: end.joinErrors,
    connectErrors: end.connectErrors,
    survivorsDropped: end.survivorsDropped,
    // medians, ms: kill → last attempt began, → Engine.IO open, → CONNECT accepted (JWT, lease), → room rejoined
    phaseMedians: [0, 1, 2, 3].map((k) => pct(end.phases.map((p) => p[k]!).sort((x, y) => x - y), 0.5)),
    phaseP99: [0, 1, 2, 3].map((k) => pct(end.phases.map((p) => p[k]!).sort((x, y) => x - y), 0.99)),
    staleAcks: end.staleAcks,
    // requests whose socket closed before the answer (the killed node's, mostly): not counted in staleAcks
    lostWithSocket: end.lostWithSocket,
    byNodeAfter: end.routes,
    survivorCpuS: survivorCpu,
    overCapacityLogLines: overloadLogs,
    loadAverage: { before: load0.map((l) => +l.toFixed(2)), after: load1.map((l) => +l.toFixed(2)) },
  };
  log(JSON.stringify(result));
  console.log(`\nReconnect storm, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load0[0]!.toFixed(1)} → ${load1[0]!.toFixed(1)}`);
  console.log(`| engine | sockets per node | on the killed node | all rejoined with since after | p50 / p99 | 5005 refusals (of ${args.rate} msgs/s) | survivors' dropped sockets |\n|---|---|---|---|---|---|---|`);
  console.log(`| ${args.engine} | ${perNode} | ${onVictim} | ${Number.isNaN(result.allRejoinedS) ? `not all within ${args.timeout} s (${end.rejoined}/${end.displaced})` : `${result.allRejoinedS.toFixed(1)} s`} | ${result.rejoinP50s.toFixed(1)} / ${result.rejoinP99s.toFixed(1)} s | ${end.refused5005} | ${end.survivorsDropped} |`);
  if (!(end.rejoined >= end.displaced && end.displaced > 0)) exitCode = 1;
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await Promise.allSettled(clients.map((c) => c.ask({ cmd: "stop" }, "stopped", 10_000)));
  for (const c of clients) c.child.kill("SIGKILL");
  await Promise.allSettled(nodes.map((n) => n.stop(args.profile ? "SIGTERM" : "SIGKILL"))); // a profile is written on a clean exit
  await nginx?.stop();
  await services.stop({ keepLogs: false });
  rmSync(runDir, { recursive: true, force: true });
}
process.exit(exitCode);

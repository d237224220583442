/**
 * `npm run bench:sockets [-- --sockets N]`: server memory per idle authenticated socket and connect
 * rate, for Interlinked (one realtime node on Redis/Kafka/Postgres, auth + quota lease + presence per
 * socket) and stock Socket.IO, each on Node http + ws and on uWebSockets.js, in one run. Clients are raw
 * Engine.IO v4 / Socket.IO v5 WebSocket clients in this process (200 connecting at a time); and Centrifugo
 * 6.9.1 as an anchor (`--centrifugo auto`: when built; `build`: build it first from the Go module proxy,
 * a few minutes once; `off`). Then the
 * server's CPU over 20 idle seconds (`--idle`). `--profile DIR`: the Interlinked nodes run with `--cpu-prof`
 * into DIR and stop with SIGTERM (so the profile is written); summarize one with
 * `tsx scripts/bench/profile-summary.ts DIR/<file>.cpuprofile --connects N --cpu-seconds S` (both printed);
 * the idle window's offsets from the node's start are printed too (`--from/--to` of profile-summary).
 * `--heap DIR`: stock and Interlinked servers write a heap snapshot into DIR after the idle window
 * (`--heapsnapshot-signal`); compare them with `tsx scripts/bench/heap-summary.ts OURS STOCK --sockets N`.
 * `--node-args="--max-semi-space-size=64 …"`: Node/V8 flags for the Interlinked node only.
 * `--stages`: the Interlinked node runs with CONNECT_STAGE_TIMING=1 and the wall-clock time of each stage of
 * its connects (JWT, revocation, quota, presence, Kafka session event, backlog) is printed from its /metrics.
 * Each row also gives the clients' connect latency (WebSocket open requested → Socket.IO CONNECT answered).
 * `--gc`: every Node server runs with its inspector on, and its RSS is also measured after a full garbage
 * collection (`HeapProfiler.collectGarbage`): before the connects, at a third of them (the connects pause
 * there, untimed) and after the idle window. The growth from a third to all, per socket added, is what a
 * socket keeps alive, apart from the storm's garbage not collected yet (the "KB per idle socket" column
 * counts both) and from the process's baseline; it is itemized by kind of mapping (proc.ts `residentByMapping`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { openDatabase } from "../../db/database";
import { TenantStore } from "../../db/stores/tenants";
import { realtimeNodeEnv, spawnInterlinked, waitReady } from "../../tools/services/interlinked-child";
import { ensureGoTool, goToolPath } from "../../tools/services/go-tools";
import { freePort, waitUntil } from "../../tools/services/process";
import { createScratchDatabase } from "../../tools/services/postgres";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";
import { collectGarbage } from "./inspector-gc";
import { cpuSeconds, residentByMapping, rssKb, threadCpuSeconds } from "./proc";

const { values: args } = parseArgs({
  options: { sockets: { type: "string", default: "5000" }, concurrency: { type: "string", default: "200" }, engines: { type: "string", default: "ws,uws" }, stock: { type: "boolean", default: true }, centrifugo: { type: "string", default: "auto" }, idle: { type: "string", default: "20" }, profile: { type: "string" }, heap: { type: "string" }, stages: { type: "boolean", default: false }, gc: { type: "boolean", default: false }, "node-args": { type: "string", default: "" } },
  allowNegative: true,
});
const N = Number(args.sockets);
const log = (line: string): void => console.log(`[bench] ${line}`);
const IDLE_S = Number(args.idle);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens one Socket.IO connection over a raw WebSocket; resolves once the server accepted the CONNECT. */
function connectRaw(port: number, auth: object): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => reject(new Error("connect timeout")), 20_000);
    ws.on("message", (raw) => {
      const frame = raw.toString();
      if (frame.startsWith("0")) ws.send(`40${JSON.stringify(auth)}`);
      else if (frame === "2") ws.send("3");
      else if (frame.startsWith("40")) {
        clearTimeout(timer);
        resolve(ws);
      } else if (frame.startsWith("44")) {
        clearTimeout(timer);
        reject(new Error(`refused: ${frame}`));
      }
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Opens one Centrifugo client connection (JSON protocol over /connection/websocket); resolves once its connect is answered. */
function connectCentrifugo(port: number, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`);
    const timer = setTimeout(() => reject(new Error("connect timeout")), 20_000);
    ws.on("open", () => ws.send(JSON.stringify({ id: 1, connect: { token } })));
    ws.on("message", (raw) => {
      const frame = raw.toString();
      if (frame === "{}") return void ws.send("{}"); // Centrifugo's ping
      const reply = JSON.parse(frame.split("\n")[0]!) as { id?: number; connect?: unknown; error?: { code: number } };
      if (reply.id !== 1) return;
      clearTimeout(timer);
      if (reply.connect) resolve(ws);
      else reject(new Error(`refused: ${frame}`));
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function measure(name: string, pid: number, port: number, authFor: (i: number) => object, open: (port: number, i: number) => Promise<WebSocket> = (p, i) => connectRaw(p, authFor(i))) {
  await sleep(1_000);
  const before = rssKb(pid);
  // with --gc: the same after a full GC (through the inspector), then again after the idle window
  const inspect = inspectPorts.get(pid);
  const gcBefore = inspect === undefined ? undefined : await afterFullGc(inspect, pid);
  const sockets: WebSocket[] = [];
  const latencies: number[] = [];
  let next = 0;
  let connectCpu0 = cpuSeconds(pid);
  let seconds = 0;
  // with --gc the connects pause at a third (not timed) for a full GC: RSS from there to N is the growth per
  // socket without the process's baseline, which moves by tens of MB between runs of the same code
  let gcThird: { rss: number; maps: ReturnType<typeof residentByMapping> } | undefined;
  for (const limit of inspect === undefined ? [N] : [Math.floor(N / 3), N]) {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Number(args.concurrency) }, async () => {
        while (next < limit) {
          const i = next++;
          const t0 = performance.now();
          sockets.push(await open(port, i));
          latencies.push(performance.now() - t0);
        }
      }),
    );
    seconds += (performance.now() - started) / 1000;
    if (limit < N && inspect !== undefined) {
      const cpu = cpuSeconds(pid);
      await sleep(5_000);
      gcThird = await afterFullGc(inspect, pid);
      connectCpu0 += cpuSeconds(pid) - cpu; // the pause's CPU is not the connects'
    }
  }
  const connectCpuS = cpuSeconds(pid) - connectCpu0;
  latencies.sort((a, b) => a - b);
  const pct = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  await sleep(5_000);
  const after = rssKb(pid);
  if (args.stages && name.startsWith("Interlinked")) await printStages(name, port);
  const cpu0 = cpuSeconds(pid);
  const threads0 = threadCpuSeconds(pid);
  const idleStarted = performance.now();
  await sleep(IDLE_S * 1000); // idle: only pings (25 s interval) and the node's own periodic work
  const idleCpuPct = IDLE_S > 0 ? (100 * (cpuSeconds(pid) - cpu0)) / IDLE_S : 0;
  if (IDLE_S > 0) {
    const byThread = [...threadCpuSeconds(pid)].map(([thread, s]) => [thread, (100 * (s - (threads0.get(thread) ?? 0))) / IDLE_S] as const).filter(([, pct]) => pct >= 0.05);
    log(`${name}: idle CPU by thread (% of a core): ${byThread.map(([t, pct]) => `${t} ${pct.toFixed(2)}`).join(", ")}`);
  }
  if (spawnedAt.has(pid)) log(`${name}: idle window ${((idleStarted - spawnedAt.get(pid)!) / 1000).toFixed(1)}–${((performance.now() - spawnedAt.get(pid)!) / 1000).toFixed(1)} s after its start`);
  let kbPerSocketAfterGc: number | undefined;
  if (inspect !== undefined && gcBefore && gcThird) {
    const gcAfter = await afterFullGc(inspect, pid);
    const added = sockets.length - Math.floor(N / 3);
    kbPerSocketAfterGc = (gcAfter.rss - gcThird.rss) / added;
    const per = (k: keyof typeof gcAfter.maps): string => ((gcAfter.maps[k] - gcThird!.maps[k]) / added).toFixed(2);
    log(`${name}: RSS after a full GC: ${(gcBefore.rss / 1024).toFixed(0)} MB with no socket, ${(gcThird.rss / 1024).toFixed(0)} MB with ${Math.floor(N / 3)}, ${(gcAfter.rss / 1024).toFixed(0)} MB with ${sockets.length}: ${kbPerSocketAfterGc.toFixed(1)} KB per socket added (small anonymous mappings, V8's pages ${per("small")}; [heap] ${per("brk")}; other anonymous ${per("other")}; files ${per("files")})`);
  }
  if (args.heap) await heapSnapshot(pid, args.heap);
  for (const ws of sockets) ws.terminate();
  const row = { name, sockets: sockets.length, connectPerSecond: Math.round(sockets.length / seconds), serverCpuMsPerConnect: (1000 * connectCpuS) / sockets.length, connectCpuS, rssBeforeMb: before / 1024, rssAfterMb: after / 1024, kbPerSocket: (after - before) / sockets.length, idleCpuPct, kbPerSocketAfterGc, connectMsP50: pct(0.5), connectMsP99: pct(0.99) };
  log(JSON.stringify(row));
  return row;
}

/** Prints the node's connect stage histogram (CONNECT_STAGE_TIMING=1): mean and bucket-bound p50 / p99 per stage, ms. */
async function printStages(name: string, port: number): Promise<void> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const stages = new Map<string, { sum: number; count: number; buckets: Array<[number, number]> }>();
  for (const line of text.split("\n")) {
    const m = /^interlinked_connect_stage_seconds_(bucket|sum|count)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!m) continue;
    const stage = /stage="([^"]+)"/.exec(m[2]!)?.[1] ?? "?";
    const s = stages.get(stage) ?? { sum: 0, count: 0, buckets: [] };
    stages.set(stage, s);
    if (m[1] === "sum") s.sum = Number(m[3]);
    else if (m[1] === "count") s.count = Number(m[3]);
    else s.buckets.push([Number(/le="([^"]+)"/.exec(m[2]!)?.[1] === "+Inf" ? Infinity : /le="([^"]+)"/.exec(m[2]!)?.[1]), Number(m[3])]);
  }
  const upTo = (s: { count: number; buckets: Array<[number, number]> }, q: number): string => {
    const le = s.buckets.find(([, n]) => n >= q * s.count)?.[0] ?? Infinity;
    return le === Infinity ? "> 5000" : `≤ ${le * 1000}`;
  };
  log(`${name}: connect stages, wall clock ms (mean; p50, p99 as histogram bucket bounds):`);
  for (const [stage, s] of stages) if (s.count > 0) log(`  ${stage.padEnd(14)} n=${s.count} mean ${((1000 * s.sum) / s.count).toFixed(2)}; p50 ${upTo(s, 0.5)}; p99 ${upTo(s, 0.99)}`);
}

/** When each server process was spawned (performance.now()), to print the idle window's offsets. */
const spawnedAt = new Map<number, number>();
/** `--node-args="--flag …"`: extra Node/V8 flags for the Interlinked node only (an A/B of a runtime setting against the same stock run). */
const ourNodeArgs = args["node-args"].split(/\s+/).filter((a) => a.length > 0);
const heapArgs = (): string[] => (args.heap ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${args.heap}`] : []);
/** RSS (KiB) and its mappings after a full garbage collection of the process behind `inspectPort`. */
async function afterFullGc(inspectPort: number, pid: number): Promise<{ rss: number; maps: ReturnType<typeof residentByMapping> }> {
  await collectGarbage(inspectPort);
  await sleep(1_000); // V8 releases the emptied pages after the collection
  return { rss: rssKb(pid), maps: residentByMapping(pid) };
}
/** With `--gc`: each Node server's inspector port (its RSS is also measured after a full GC through it). */
const inspectPorts = new Map<number, number>();
const inspectArgs = async (): Promise<{ args: string[]; port?: number }> => {
  if (!args.gc) return { args: [] };
  const port = await freePort();
  return { args: [`--inspect=127.0.0.1:${port}`], port };
};

/** Asks a server started with heapArgs() for a heap snapshot and waits until the file is complete. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  let file: string | undefined;
  let size = -1;
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    file ??= readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!file) continue;
    const now = statSync(join(dir, file)).size;
    if (now > 0 && now === size) break;
    size = now;
  }
  log(`heap snapshot of ${pid}: ${file ? join(dir, file) : "not written"}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

ensureBuilt(); // the nodes run the production bundle; build it (and fail) before provisioning
const services = await provisionServices(givenServices(process.env), log);
const rows: Array<Awaited<ReturnType<typeof measure>>> = [];
try {
  const dbUrl = await createScratchDatabase(services.env.DATABASE_URL, "bench");
  const db = await openDatabase({ url: dbUrl });
  await db.migrate();
  await new TenantStore(db.db).setOverrides("bench", { maxConnections: N * 2 });
  await db.close();
  const secret = randomBytes(32).toString("hex");
  const tokens = new TokenService({ ...authDefaults, secret, tokenTtlSeconds: 3600 });
  const jwts = await Promise.all(Array.from({ length: N }, (_, i) => tokens.sign({ tenant: "bench", user: `u${i}`, role: "student" })));

  for (const engine of (args.engines ?? "ws,uws").split(",") as Array<"ws" | "uws">) {
    const port = await freePort();
    const bareInspect = await inspectArgs();
    const bare = spawn(process.execPath, [...heapArgs(), ...bareInspect.args, "--import", "tsx", join(dirname(fileURLToPath(import.meta.url)), "bare-socketio.ts")], { env: { ...process.env, PORT: String(port), ENGINE: engine }, stdio: ["ignore", "pipe", "inherit"] });
    if (bareInspect.port !== undefined) inspectPorts.set(bare.pid as number, bareInspect.port);
    if (args.stock) {
      await waitUntil("bare server", async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 30_000 });
      rows.push(await measure(`stock Socket.IO (${engine})`, bare.pid as number, port, () => ({})));
    }
    await stop(bare);

    const nodePort = await freePort();
    const setup = { port: nodePort, databaseUrl: dbUrl, redisUrl: services.env.REDIS_URL, kafkaBrokers: services.env.KAFKA_BROKERS, namespace: `bench-${engine}`, secret, engine, nodeId: `bench-${engine}` };
    const nodeInspect = await inspectArgs();
    const node = spawnInterlinked(realtimeNodeEnv(setup, args.stages ? { CONNECT_STAGE_TIMING: "1" } : {}), [...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : []), ...heapArgs(), ...nodeInspect.args, ...ourNodeArgs]);
    if (nodeInspect.port !== undefined) inspectPorts.set(node.child.pid as number, nodeInspect.port);
    spawnedAt.set(node.child.pid as number, performance.now());
    await waitReady(`http://127.0.0.1:${nodePort}`, 60_000);
    rows.push(await measure(`Interlinked node (${engine})`, node.child.pid as number, nodePort, (i) => ({ token: jwts[i] })));
    if (args.profile) {
      const code = await node.stop("SIGTERM"); // a profile is written only by a process that exits
      log(`profile of the ${engine} node written to ${args.profile} (exit ${code}); connects ${N}, server CPU over them ${rows.at(-1)?.connectCpuS.toFixed(2)} s`);
    } else await node.stop("SIGKILL");
  }
  if (args.centrifugo !== "off") rows.push(...(await measureCentrifugo()));
} finally {
  await services.stop({ keepLogs: false });
}

/** Centrifugo (the Go module built once into the cache, tools/services/go-tools.ts), memory engine, default settings, HS256 connection JWTs. */
async function measureCentrifugo(): Promise<Array<Awaited<ReturnType<typeof measure>>>> {
  let bin: string;
  try {
    const cached = goToolPath("centrifugo");
    if (args.centrifugo === "auto" && !process.env.CENTRIFUGO_BIN && !existsSync(cached)) throw new Error(`not built: run once with --centrifugo build (a few minutes, cached in ${cached})`);
    bin = await ensureGoTool("centrifugo", process.env.CENTRIFUGO_BIN, log);
  } catch (err) {
    log(`Centrifugo skipped: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
  const port = await freePort();
  const secret = randomBytes(32).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "interlinked-centrifugo-"));
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ client: { token: { hmac_secret_key: secret }, allowed_origins: ["*"] }, http_server: { address: "127.0.0.1", port }, health: { enabled: true }, log: { level: "error" }, usage_stats: { disabled: true } }));
  const child = spawn(bin, ["--config", config], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  try {
    await waitUntil("centrifugo", async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, { timeoutMs: 30_000 });
    const key = new TextEncoder().encode(secret);
    const exp = Math.floor(Date.now() / 1000) + 3_600;
    const tokens = await Promise.all(Array.from({ length: N }, (_, i) => new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(`u${i}`).setExpirationTime(exp).sign(key)));
    return [await measure("Centrifugo 6.9.1 (memory engine)", child.pid as number, port, () => ({}), (p, i) => connectCentrifugo(p, tokens[i]!))];
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`\nSockets benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${N} sockets`);
const gcColumn = args.gc ? " KB per socket after a full GC |" : "";
console.log(`| server | sockets | connects/s | server CPU ms per connect | client connect ms p50 / p99 | RSS before MB | RSS after MB | KB per idle socket | idle CPU % of a core (${IDLE_S} s) |${gcColumn}\n|---|---|---|---|---|---|---|---|---|${args.gc ? "---|" : ""}`);
for (const r of rows) console.log(`| ${r.name} | ${r.sockets} | ${r.connectPerSecond} | ${r.serverCpuMsPerConnect.toFixed(2)} | ${r.connectMsP50.toFixed(1)} / ${r.connectMsP99.toFixed(1)} | ${r.rssBeforeMb.toFixed(0)} | ${r.rssAfterMb.toFixed(0)} | ${r.kbPerSocket.toFixed(1)} | ${r.idleCpuPct.toFixed(1)} |${args.gc ? ` ${r.kbPerSocketAfterGc === undefined ? "—" : r.kbPerSocketAfterGc.toFixed(1)} |` : ""}`);
process.exit(0);

/**
 * `npm run bench:sockets [-- --sockets N]`: server memory per idle authenticated socket and connect
 * rate, for Interlinked (one realtime node on Redis/Kafka/Postgres, auth + quota lease + presence per
 * socket) and stock Socket.IO, each on Node http + ws and on uWebSockets.js, in one run. Clients are raw
 * Engine.IO v4 / Socket.IO v5 WebSocket clients in this process (200 connecting at a time). Then the
 * server's CPU over 20 idle seconds (`--idle`). `--profile DIR`: the Interlinked nodes run with `--cpu-prof`
 * into DIR and stop with SIGTERM (so the profile is written); summarize one with
 * `tsx scripts/bench/profile-summary.ts DIR/<file>.cpuprofile --connects N --cpu-seconds S` (both printed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { openDatabase } from "../../db/database";
import { TenantStore } from "../../db/stores/tenants";
import { spawnInterlinked, waitReady } from "../../tools/services/interlinked-child";
import { freePort, waitUntil } from "../../tools/services/process";
import { createScratchDatabase } from "../../tools/services/postgres";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";
import { cpuSeconds, rssKb } from "./proc";

const { values: args } = parseArgs({
  options: { sockets: { type: "string", default: "5000" }, concurrency: { type: "string", default: "200" }, engines: { type: "string", default: "ws,uws" }, stock: { type: "boolean", default: true }, idle: { type: "string", default: "20" }, profile: { type: "string" } },
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

async function measure(name: string, pid: number, port: number, authFor: (i: number) => object) {
  await sleep(1_000);
  const before = rssKb(pid);
  const sockets: WebSocket[] = [];
  let next = 0;
  const connectCpu0 = cpuSeconds(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < N) {
        const i = next++;
        sockets.push(await connectRaw(port, authFor(i)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const connectCpuS = cpuSeconds(pid) - connectCpu0;
  await sleep(5_000);
  const after = rssKb(pid);
  const cpu0 = cpuSeconds(pid);
  await sleep(IDLE_S * 1000); // idle: only pings (25 s interval) and the node's own periodic work
  const idleCpuPct = IDLE_S > 0 ? (100 * (cpuSeconds(pid) - cpu0)) / IDLE_S : 0;
  for (const ws of sockets) ws.terminate();
  const row = { name, sockets: sockets.length, connectPerSecond: Math.round(sockets.length / seconds), serverCpuMsPerConnect: (1000 * connectCpuS) / sockets.length, connectCpuS, rssBeforeMb: before / 1024, rssAfterMb: after / 1024, kbPerSocket: (after - before) / sockets.length, idleCpuPct };
  log(JSON.stringify(row));
  return row;
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
    const bare = spawn(process.execPath, ["--import", "tsx", join(dirname(fileURLToPath(import.meta.url)), "bare-socketio.ts")], { env: { ...process.env, PORT: String(port), ENGINE: engine }, stdio: ["ignore", "pipe", "inherit"] });
    if (args.stock) {
      await waitUntil("bare server", async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 30_000 });
      rows.push(await measure(`stock Socket.IO (${engine})`, bare.pid as number, port, () => ({})));
    }
    await stop(bare);

    const nodePort = await freePort();
    const node = spawnInterlinked({
      ROLES: "realtime",
      PORT: String(nodePort),
      HOST: "127.0.0.1",
      DATABASE_URL: dbUrl,
      REDIS_URL: services.env.REDIS_URL,
      KAFKA_BROKERS: services.env.KAFKA_BROKERS,
      NAMESPACE: `bench-${engine}`,
      AUTH_SECRET: secret,
      REALTIME_ENGINE: engine,
      NODE_ID: `bench-${engine}`,
    }, args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : []);
    await waitReady(`http://127.0.0.1:${nodePort}`, 60_000);
    rows.push(await measure(`Interlinked node (${engine})`, node.child.pid as number, nodePort, (i) => ({ token: jwts[i] })));
    if (args.profile) {
      const code = await node.stop("SIGTERM"); // a profile is written only by a process that exits
      log(`profile of the ${engine} node written to ${args.profile} (exit ${code}); connects ${N}, server CPU over them ${rows.at(-1)?.connectCpuS.toFixed(2)} s`);
    } else await node.stop("SIGKILL");
  }
} finally {
  await services.stop({ keepLogs: false });
}

console.log(`\nSockets benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${N} sockets`);
console.log(`| server | sockets | connects/s | server CPU ms per connect | RSS before MB | RSS after MB | KB per idle socket | idle CPU % of a core (${IDLE_S} s) |\n|---|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.name} | ${r.sockets} | ${r.connectPerSecond} | ${r.serverCpuMsPerConnect.toFixed(2)} | ${r.rssBeforeMb.toFixed(0)} | ${r.rssAfterMb.toFixed(0)} | ${r.kbPerSocket.toFixed(1)} | ${r.idleCpuPct.toFixed(1)} |`);
process.exit(0);

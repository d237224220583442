/**
 * `npm run bench:admission [-- --rates 50,100,200,400,800,1600 --dur 10 --clients 80 --no-pin]`: where admission
 * control starts refusing, against where the node saturates. One embedded node (`npm start`'s process:
 * PGlite, in-memory bus — every message stored before its ack) pinned to CPU 0; socket.io-client senders
 * in this process on CPU 1, spread over 4 rooms with a reader each, sending acked `room:message` at a
 * fixed aggregate rate per step (80 senders: each stays under the per-connection event rate, 50/s, up to 4,000/s). A step is good while ≥ 97 % of what was offered is acked in time and the
 * p99 ack latency stays ≤ 1 s. Saturation = the first step that is not good; then the bench runs again at
 * ≤ 50 % of the last good rate (admission control must refuse nothing there) and at 2× the last good rate
 * (it should refuse some, and keep acking).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { io, type Socket } from "socket.io-client";
import { spawnInterlinked, waitReady } from "../../tools/services/interlinked-child";
import { freePort } from "../../tools/services/process";
import { ensureBuilt } from "../../tools/services/production-build";

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    rates: { type: "string", default: "50,100,200,400,800,1600,3200" },
    dur: { type: "string", default: "10" },
    clients: { type: "string", default: "80" },
    pin: { type: "boolean", default: true },
  },
});
const DUR_S = Number(args.dur);
const CLIENTS = Number(args.clients);
const ROOMS = 4;
const log = (line: string): void => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pin = (pid: number, cpu: string) => execFileSync("taskset", ["-a", "-pc", cpu, String(pid)], { stdio: "ignore" });

interface Step {
  label: string;
  offeredPerSecond: number;
  offered: number;
  acked: number;
  refused5005: number;
  otherErrors: number;
  /** Other refusals by code (3003 would mean the per-connection rate, not admission control). */
  codes: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  good: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function connect(base: string, tenant: string, user: string): Promise<Socket> {
  const res = await fetch(`${base}/v1/dev/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant, user, role: "teacher" }) });
  const { token } = (await res.json()) as { token: string };
  const socket = io(base, { auth: { token }, transports: ["websocket"], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** Offers `rate` acked messages a second (spread over the senders) for `seconds`; waits for every ack (or 5 s). */
async function step(label: string, senders: Socket[], rate: number, seconds: number): Promise<Step> {
  const latencies: number[] = [];
  let offered = 0;
  let refused5005 = 0;
  let otherErrors = 0;
  const codes: Record<string, number> = {};
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sender = senders[i % senders.length] as Socket;
    const sent = performance.now();
    offered++;
    pending.push(
      sender
        .timeout(5_000)
        .emitWithAck("room:message", { room: `r${i % ROOMS}`, text: `m${i}` })
        .then(
          (ack: { error?: { code: number } }) => {
            if (!ack?.error) latencies.push(performance.now() - sent);
            else if (ack.error.code === 5005) refused5005++;
            else {
              otherErrors++;
              codes[ack.error.code] = (codes[ack.error.code] ?? 0) + 1;
            }
          },
          () => {
            otherErrors++;
            codes.timeout = (codes.timeout ?? 0) + 1;
          },
        ),
    );
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const acked = latencies.length;
  const p99Ms = percentile(latencies, 99);
  const row: Step = { label, offeredPerSecond: rate, offered, acked, refused5005, otherErrors, codes, p50Ms: percentile(latencies, 50), p99Ms, good: acked >= 0.97 * offered && p99Ms <= 1_000 };
  log(JSON.stringify(row));
  return row;
}

ensureBuilt();
if (args.pin) pin(process.pid, "1");
const dataDir = mkdtempSync(join(tmpdir(), "interlinked-admission-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const node = spawnInterlinked({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", KAFKA_BROKERS: "", AUTH_SECRET: "", LOG_LEVEL: "warn" });
const rows: Step[] = [];
try {
  await waitReady(base, 60_000);
  if (args.pin) pin(node.child.pid as number, "0");
  // the school's quotas are far above the offered load: only admission control may refuse
  const root = await fetch(`${base}/v1/dev/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant: "bench", user: "root", role: "super_admin" }) });
  const rootToken = ((await root.json()) as { token: string }).token;
  await fetch(`${base}/v1/tenants/bench/quotas`, { method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${rootToken}` }, body: JSON.stringify({ maxMessagesPerSecond: 1_000_000, maxConnections: 1_000 }) });
  const senders = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(base, "bench", `s${i}`)));
  const readers = await Promise.all(Array.from({ length: ROOMS }, (_, i) => connect(base, "bench", `reader${i}`)));
  for (const s of senders) for (let r = 0; r < ROOMS; r++) await s.emitWithAck("room:join", { room: `r${r}` });
  for (const [i, r] of readers.entries()) await r.emitWithAck("room:join", { room: `r${i}` });
  await sleep(2_000);
  // the very first message after start (the finding: it was refused once on an idle node)
  rows.push(await step("first message after start", senders, 1, 1));

  let lastGood = 0;
  for (const rate of (args.rates as string).split(",").map(Number)) {
    const row = await step(`step ${rate}/s`, senders, rate, DUR_S);
    rows.push(row);
    await sleep(3_000); // let the guard's share recover between steps
    if (!row.good) break;
    lastGood = rate;
  }
  if (lastGood > 0) {
    await sleep(5_000);
    rows.push(await step(`50 % of saturation (${lastGood / 2}/s)`, senders, lastGood / 2, DUR_S * 2));
    await sleep(5_000);
    rows.push(await step(`2× saturation (${lastGood * 2}/s)`, senders, lastGood * 2, DUR_S));
  }
  for (const s of [...senders, ...readers]) s.close();
} finally {
  await node.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\nAdmission benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${args.pin ? `embedded node on CPU 0, ${CLIENTS} senders on CPU 1` : `unpinned: node and ${CLIENTS} senders share both cores`}`);
console.log("| step | offered/s | offered | acked | refused 5005 | other errors | p50 ms | p99 ms | good |\n|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const other = r.otherErrors ? `${r.otherErrors} (${Object.entries(r.codes).map(([c, n]) => `${c}: ${n}`).join(", ")})` : "0";
  console.log(`| ${r.label} | ${r.offeredPerSecond} | ${r.offered} | ${r.acked} | ${r.refused5005} | ${other} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.good ? "yes" : "no"} |`);
}
process.exit(0);

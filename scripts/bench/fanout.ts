/**
 * `npm run bench:fanout [-- --members 10000 --rates 2,5,10,20,40,80 --variants stock-ws,ours-ws,stock-uws,ours-uws,centrifugo --nodes 1]`:
 * room fan-out deliveries/s and publish → receive latency in one room, Interlinked (realtime nodes on
 * Redis/Kafka/PostgreSQL: every message sequenced and acked durable before it is broadcast) against
 * stock Socket.IO (no auth, no persistence) in the same run. Servers are pinned to CPU 0, the raw
 * clients (scripts/bench/fanout-client.ts) to CPU 1. Rates step up until deliveries fall below 97 % or
 * p99 passes 1 s; the step after the last good one is repeated at twice that rate (overload). With
 * `--nodes 2` the receivers are split over two nodes that share CPU 0 (the Redis adapter between them).
 * Members connect first, then all join the room at once (room:join; Centrifugo: subscribe), and the
 * join rate is reported on its own. `centrifugo`: Centrifugo 6.9.1 (memory engine, GOMAXPROCS=1, the
 * binary bench:sockets builds; `--centrifugo build` builds it first), clients publishing into one channel.
 */
import { fork, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { TokenService } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { openDatabase } from "../../db/database";
import { TenantStore } from "../../db/stores/tenants";
import { realtimeNodeEnv, spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { createScratchDatabase } from "../../tools/services/postgres";
import { freePort, waitUntil } from "../../tools/services/process";
import { ensureBuilt } from "../../tools/services/production-build";
import { ensureGoTool, goToolPath } from "../../tools/services/go-tools";
import { givenServices, provisionServices } from "../../tools/services/provision";
import type { ClientCommand, Protocol } from "./fanout-client";
import { percentiles, SLOW_US, type StatsSnapshot } from "./fanout-stats";
import { cpuSeconds, rssKb } from "./proc";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "10000" },
    rates: { type: "string", default: "2,5,10,20,40,80,160" },
    dur: { type: "string", default: "8" },
    variants: { type: "string", default: "stock-ws,ours-ws,stock-uws,ours-uws" },
    nodes: { type: "string", default: "1" },
    overload: { type: "boolean", default: true },
    "node-args": { type: "string", default: "" },
    centrifugo: { type: "string", default: "auto" },
    /** Rates of the uWS variants when they differ from `--rates` (they saturate ~10× higher). */
    "uws-rates": { type: "string" },
  },
  allowNegative: true,
});
const MEMBERS = Number(args.members);
const DUR_S = Number(args.dur);
const NODES = Number(args.nodes);
const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string): void => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number): number => rssKb(pid) / 1024;
const pin = (pid: number, cpu: string) => execFileSync("taskset", ["-a", "-pc", cpu, String(pid)], { stdio: "ignore" });
let addressBlock = 10 + (process.pid % 200);
/** Fresh loopback source addresses per variant: never reuse one within 60 s (TIME_WAIT). */
const freshAddresses = (n: number) => Array.from({ length: n }, (_, i) => `127.${addressBlock}.${++addressBlock % 250}.${10 + i}`);

interface Client {
  child: ChildProcess;
  request<T>(cmd: ClientCommand, type: string, timeoutMs: number): Promise<T>;
}
function startClient(): Promise<Client> {
  const child = fork(join(here, "fanout-client.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiters: Array<{ type: string; resolve(m: unknown): void }> = [];
  child.on("message", (m: { type: string }) => {
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  const waitFor = <T>(type: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m as T)) });
    });
  const client: Client = { child, request: (cmd, type, timeoutMs) => (child.send(cmd), waitFor(type, timeoutMs)) };
  return waitFor("ready", 30_000).then(() => (pin(child.pid!, "1"), client));
}

interface Server {
  ports: number[];
  pids: number[];
  /** CONNECT payload of receiver i and of the publisher. */
  auth(i: number): string;
  publisherAuth: string;
  /** Join frame of the receivers (sent to all at once after they connected) and of the publisher. */
  join?: string;
  /** The publisher's join when it differs from the receivers' (null: the publisher joins nothing). */
  publisherJoin?: string | null;
  protocol?: Protocol;
  template: string;
  stop(): Promise<void>;
}

const ROOM = "lecture";
const PAD = "x".repeat(60);

async function startStock(engine: "ws" | "uws"): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "bare-socketio.ts")], { env: { ...process.env, PORT: String(port), ENGINE: engine, FANOUT_ROOM: ROOM }, stdio: ["ignore", "ignore", "inherit"] });
  await waitUntil("stock server", async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok, { timeoutMs: 30_000 });
  pin(child.pid!, "0");
  return {
    ports: [port],
    pids: [child.pid!],
    auth: () => "",
    publisherAuth: '{"pub":1}',
    template: `42["pub",{"text":"t=\${t} ${PAD}"}]`,
    stop: async () => void child.kill("SIGKILL"),
  };
}

ensureBuilt(); // the nodes run the production bundle; build it (and fail) before provisioning
const services = await provisionServices(givenServices(process.env), log);
const secret = randomBytes(32).toString("hex");
const tokens = new TokenService({ ...authDefaults, secret, tokenTtlSeconds: 3600 });

async function startOurs(engine: "ws" | "uws"): Promise<Server> {
  const dbUrl = await createScratchDatabase(services.env.DATABASE_URL, "bench");
  const db = await openDatabase({ url: dbUrl });
  await db.migrate();
  await new TenantStore(db.db).setOverrides("bench", { maxConnections: MEMBERS * 2, maxMessagesPerSecond: 100_000, maxBroadcastRecipients: MEMBERS * 2 });
  await db.close();
  const namespace = `fan${randomBytes(3).toString("hex")}`;
  const nodes: ChildInterlinked[] = [];
  const ports: number[] = [];
  for (let i = 0; i < NODES; i++) {
    const port = await freePort();
    const setup = { port, databaseUrl: dbUrl, redisUrl: services.env.REDIS_URL, kafkaBrokers: services.env.KAFKA_BROKERS, namespace, secret, engine, nodeId: `${namespace}-${i}` };
    const node = spawnInterlinked(realtimeNodeEnv(setup, {
      SOCKET_EVENTS_PER_SECOND: "100000",
      DRAIN_GRACE_MS: "1000",
      NODE_OPTIONS: "--max-old-space-size=4096",
      ...(process.env.FANOUT_BATCH_MS ? { FANOUT_BATCH_MS: process.env.FANOUT_BATCH_MS } : {}),
    }), (args["node-args"] ?? "").split(" ").filter(Boolean));
    nodes.push(node);
    ports.push(port);
    await waitReady(`http://127.0.0.1:${port}`, 60_000).catch((err: unknown) => {
      throw new Error(`node ${i} not ready: ${node.output().slice(-2000)}`, { cause: err });
    });
    pin(node.child.pid!, "0");
  }
  const auths = await Promise.all(Array.from({ length: MEMBERS + 1 }, async (_, i) => JSON.stringify({ token: await tokens.sign({ tenant: "bench", user: `u${i}`, role: "student" }) })));
  return {
    ports,
    pids: nodes.map((n) => n.child.pid!),
    auth: (i) => auths[i]!,
    publisherAuth: auths[MEMBERS]!,
    join: `420["room:join",{"room":"${ROOM}"}]`,
    template: `42\${ack}["room:message",{"room":"${ROOM}","text":"t=\${t} ${PAD}"}]`,
    // SIGTERM: a drained node exits by itself (and writes a --cpu-prof profile); SIGKILL if it hangs
    stop: async () => {
      await Promise.all(nodes.map((n) => Promise.race([n.stop("SIGTERM"), sleep(15_000).then(() => n.stop("SIGKILL"))])));
      for (const [i, n] of nodes.entries()) for (const line of n.output().split("\n").filter((l) => /capacity|error|failed/i.test(l)).slice(0, 10)) log(`node ${i}: ${line}`);
    },
  };
}

/** Centrifugo 6.9.1, memory engine, one channel clients may subscribe and publish to; pinned to CPU 0 with GOMAXPROCS=1. */
async function startCentrifugo(): Promise<Server | undefined> {
  let bin: string;
  try {
    if (args.centrifugo === "off") return undefined;
    const cached = goToolPath("centrifugo");
    if (args.centrifugo === "auto" && !process.env.CENTRIFUGO_BIN && !existsSync(cached)) throw new Error(`not built: run once with --centrifugo build (cached in ${cached})`);
    bin = await ensureGoTool("centrifugo", process.env.CENTRIFUGO_BIN, log);
  } catch (err) {
    log(`Centrifugo skipped: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const port = await freePort();
  const key = randomBytes(32).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "interlinked-centrifugo-"));
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      client: { token: { hmac_secret_key: key }, allowed_origins: ["*"] },
      channel: { without_namespace: { allow_subscribe_for_client: true, allow_publish_for_client: true } },
      http_server: { address: "127.0.0.1", port },
      health: { enabled: true },
      log: { level: "error" },
      usage_stats: { disabled: true },
    }),
  );
  const child = spawn(bin, ["--config", config], { cwd: dir, env: { ...process.env, GOMAXPROCS: "1" }, stdio: ["ignore", "ignore", "inherit"] });
  await waitUntil("centrifugo", async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, { timeoutMs: 30_000 });
  pin(child.pid!, "0");
  const secret = new TextEncoder().encode(key);
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  const connects = await Promise.all(Array.from({ length: MEMBERS + 1 }, async (_, i) => JSON.stringify({ id: 1, connect: { token: await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(`u${i}`).setExpirationTime(exp).sign(secret) } })));
  return {
    ports: [port],
    pids: [child.pid!],
    protocol: "centrifugo",
    auth: (i) => connects[i]!,
    publisherAuth: connects[MEMBERS]!,
    join: `{"id":2,"subscribe":{"channel":"${ROOM}"}}`,
    publisherJoin: null,
    template: `{"id":\${ack},"publish":{"channel":"${ROOM}","data":{"text":"t=\${t} ${PAD}"}}}`,
    stop: async () => {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Step {
  rate: number;
  offeredPerS: number;
  deliveredPerS: number;
  ratio: number;
  p50: number;
  p99: number;
  serverCpuPct: number;
  rssMb: number[];
  acked?: number;
  refusals: Record<string, number>;
}

type Published = { sent: number; acked: number; ms: number; refusals: Record<string, number> };
type Snapshot = StatsSnapshot & { type: string };

/** Every how many members one records latencies. */
const SAMPLE_EVERY = 10;

/** The messages delivered later than SLOW_US to some receivers: when each was sent (s into the step), to how many late, the latest. */
function slowMessages(snaps: Snapshot[], startedUs: number, ready: number): string | undefined {
  const merged = new Map<number, [number, number]>();
  for (const [stamp, n, us] of snaps.flatMap((s) => s.slow ?? [])) {
    const seen = merged.get(stamp) ?? [0, 0];
    merged.set(stamp, [seen[0] + n, Math.max(seen[1], us)]);
  }
  if (merged.size === 0) return undefined;
  const rows = [...merged].sort((a, b) => b[1][0] - a[1][0]);
  const sampling = Math.ceil(ready / SAMPLE_EVERY);
  const shown = rows.slice(0, 8).map(([stamp, [n, us]]) => `+${((stamp - startedUs) / 1e6).toFixed(2)} s: late at ${n} of ${sampling}, latest ${(us / 1000).toFixed(0)} ms`);
  return `${merged.size} message(s) delivered later than ${SLOW_US / 1000} ms at some of the ${sampling} sampling receivers (most late first): ${shown.join("; ")}`;
}

async function runStep(name: string, server: Server, receivers: Client[], publisher: Client, rate: number): Promise<Step> {
  const total = async () => (await Promise.all(receivers.map((c) => c.request<Snapshot>({ cmd: "stats" }, "stats", 30_000)))).reduce((a, s) => a + s.messages, 0);
  await Promise.all(receivers.map((c) => c.request({ cmd: "stats", reset: true }, "stats", 30_000)));
  const cpu0 = server.pids.map(cpuSeconds);
  const started = Date.now();
  const published = publisher.request<Published>(
    { cmd: "publish", protocol: server.protocol, port: server.ports[0]!, localAddress: freshAddresses(1)[0]!, auth: server.publisherAuth, join: server.publisherJoin === null ? undefined : (server.publisherJoin ?? server.join), template: server.template, rate, durationMs: DUR_S * 1000 },
    "published",
    (DUR_S + 40) * 1000,
  );
  await sleep(2_000);
  const [m1, t1] = [await total(), Date.now()];
  await sleep(DUR_S * 1000 - 2_100);
  const [m2, t2] = [await total(), Date.now()];
  const cpuPct = (100 * server.pids.map(cpuSeconds).reduce((a, c, i) => a + c - cpu0[i]!, 0)) / ((Date.now() - started) / 1000);
  const rss = server.pids.map(rssMb);
  const pub = await published;
  let [last, now, waited] = [-1, await total(), 0];
  while (now !== last && waited < 20_000) [last, now, waited] = [now, (await sleep(1_000), await total()), waited + 1_000];
  const snaps = await Promise.all(receivers.map((c) => c.request<Snapshot>({ cmd: "stats", hist: true }, "stats", 30_000)));
  const ready = snaps.reduce((a, s) => a + s.ready - s.closedAfterReady, 0);
  const got = snaps.reduce((a, s) => a + s.messages, 0);
  const lat = percentiles(snaps.map((s) => s.histogram ?? []), [0.5, 0.99]);
  const slow = slowMessages(snaps, started * 1000, ready);
  if (slow) log(`${name} R=${rate}: ${slow}`);
  const sent = server.join ? pub.acked : pub.sent;
  return {
    rate,
    offeredPerS: Math.round((pub.sent * ready) / (pub.ms / 1000)),
    deliveredPerS: Math.round((m2 - m1) / ((t2 - t1) / 1000)),
    ratio: Number((got / Math.max(1, pub.sent * ready)).toFixed(4)),
    p50: lat.p50 ?? NaN,
    p99: lat.p99 ?? NaN,
    serverCpuPct: Math.round(cpuPct),
    rssMb: rss.map((r) => Math.round(r)),
    acked: server.join ? sent : undefined,
    refusals: pub.refusals,
  };
}

async function runVariant(name: string, server: Server): Promise<{ name: string; members: number; connectMs: number; joinMs?: number; steps: Step[] }> {
  const receivers = await Promise.all(server.ports.map(() => startClient()));
  const publisher = await startClient();
  try {
    const perNode = Math.floor(MEMBERS / server.ports.length);
    const t0 = Date.now();
    const results = await Promise.all(
      receivers.map((c, k) =>
        c.request<{ ready: number; failed: number; errors: object }>(
          { cmd: "connect", protocol: server.protocol, port: server.ports[k]!, localAddresses: freshAddresses(2), auths: Array.from({ length: perNode }, (_, i) => server.auth(k * perNode + i)), count: perNode, sampleEvery: SAMPLE_EVERY, timeoutMs: 180_000 },
          "connected",
          200_000,
        ),
      ),
    );
    const ready = results.reduce((a, r) => a + r.ready, 0);
    const connectMs = Date.now() - t0;
    log(`${name}: ${ready} members connected in ${connectMs} ms${results.some((r) => r.failed) ? ` (failed: ${JSON.stringify(results.map((r) => r.errors))})` : ""}`);
    let joinMs: number | undefined;
    if (server.join) {
      await sleep(2_000);
      const t1 = Date.now();
      const joins = await Promise.all(receivers.map((c) => c.request<{ joined: number; refused: number; why: string }>({ cmd: "join", join: server.join!, timeoutMs: 120_000 }, "joined", 130_000)));
      joinMs = Date.now() - t1;
      const joined = joins.reduce((a, j) => a + j.joined, 0);
      log(`${name}: ${joined} joins (${joins.reduce((a, j) => a + j.refused, 0)} refused, ${joins.map((j) => j.why).join(",")}) in ${joinMs} ms = ${Math.round(joined / (joinMs / 1000))} joins/s`);
    }
    await sleep(2_000);
    const steps: Step[] = [];
    const saturated = (s: Step) => s.ratio < 0.97 || s.p99 > 1_000;
    const rates = name.includes("uws") && args["uws-rates"] ? args["uws-rates"] : (args.rates ?? "");
    for (const rate of rates.split(",").map(Number)) {
      const step = await runStep(name, server, receivers, publisher, rate).catch((err: unknown) => (log(`${name} R=${rate}: step failed: ${String(err)}`), undefined));
      if (!step) break;
      steps.push(step);
      log(`${name} R=${rate}/s ${JSON.stringify(step)}`);
      if (saturated(step)) break;
      await sleep(1_000);
    }
    const good = steps.filter((s) => !saturated(s)).at(-1);
    if (args.overload && good) {
      await sleep(2_000);
      const step = await runStep(name, server, receivers, publisher, good.rate * 2).catch(() => undefined);
      if (step) {
        steps.push(step);
        log(`${name} overload R=${good.rate * 2}/s ${JSON.stringify(step)}`);
      }
    }
    return { name, members: ready, connectMs, joinMs, steps };
  } finally {
    for (const c of [...receivers, publisher]) c.child.kill("SIGKILL");
    await server.stop();
  }
}

const results: Array<Awaited<ReturnType<typeof runVariant>>> = [];
try {
  for (const variant of (args.variants ?? "").split(",")) {
    const [kind, engine] = variant.split("-") as ["stock" | "ours" | "centrifugo", "ws" | "uws"];
    const server = kind === "centrifugo" ? await startCentrifugo() : kind === "stock" ? await startStock(engine) : await startOurs(engine);
    if (!server) continue;
    results.push(await runVariant(NODES > 1 && kind === "ours" ? `${variant} ×${NODES}` : variant, server));
    await sleep(2_000);
  }
} finally {
  await services.stop({ keepLogs: false });
}

console.log(`\nFan-out benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; one room of ${MEMBERS}, servers on CPU 0, clients on CPU 1, ${DUR_S} s per step`);
console.log("| server | msgs/s | offered deliveries/s | delivered/s (steady) | delivered ratio | p50 ms | p99 ms | server CPU % | RSS MB | refusals |\n|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) for (const s of r.steps) console.log(`| ${r.name} | ${s.rate} | ${s.offeredPerS} | ${s.deliveredPerS} | ${s.ratio} | ${s.p50} | ${s.p99} | ${s.serverCpuPct} | ${s.rssMb.join("+")} | ${JSON.stringify(s.refusals)} |`);
console.log("\n| server | members | connect s | joins/s (all at once) |\n|---|---|---|---|");
for (const r of results) console.log(`| ${r.name} | ${r.members} | ${(r.connectMs / 1000).toFixed(1)} | ${r.joinMs === undefined ? "— (joined at connect)" : Math.round(r.members / (r.joinMs / 1000))} |`);
console.log("");
process.exit(0);

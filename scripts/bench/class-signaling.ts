/**
 * `npm run bench:class-signaling [-- --rounds 300]`: signaling round trips of live classes through a real
 * cluster (child processes: a realtime node hosting classes, one that only signals, a worker; Redis,
 * Kafka, PostgreSQL provisioned like the tests). A participant on each node times `hand:raise` (class
 * state only), `transport:create` (a mediasoup WebRtcTransport) and `class:join` (includes the attendance
 * write acknowledged by Kafka); p50 / p99 in ms.
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { io, type Socket } from "socket.io-client";
import { TokenService, type Role } from "../../core/auth";
import { authDefaults } from "../../core/config";
import { openDatabase } from "../../db/database";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { createScratchDatabase } from "../../tools/services/postgres";
import { freePort } from "../../tools/services/process";
import { ensureBuilt } from "../../tools/services/production-build";
import { givenServices, provisionServices } from "../../tools/services/provision";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "300" } } });
const ROUNDS = Number(args.rounds);
const log = (line: string): void => console.log(`[bench] ${line}`);
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

ensureBuilt(); // the nodes run the production bundle; build it (and fail) before provisioning
const services = await provisionServices(givenServices(process.env), log);
const dbUrl = await createScratchDatabase(services.env.DATABASE_URL, "bench");
const migrator = await openDatabase({ url: dbUrl });
await migrator.migrate();
await migrator.close();
const children: ChildInterlinked[] = [];
try {
  const secret = randomBytes(32).toString("hex");
  const tokens = new TokenService({ ...authDefaults, secret });
  const base = { DATABASE_URL: dbUrl, REDIS_URL: services.env.REDIS_URL, KAFKA_BROKERS: services.env.KAFKA_BROKERS, NAMESPACE: `bench${randomBytes(3).toString("hex")}`, AUTH_SECRET: secret, HOST: "127.0.0.1", MEDIASOUP_WORKER_BIN: services.env.MEDIASOUP_WORKER_BIN };
  async function start(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    const child = spawnInterlinked({ ...base, ...env, PORT: String(port) });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, 60_000);
    return url;
  }
  const [mediaUrl, otherUrl] = [await start({ ROLES: "realtime,api", NODE_ID: "media-node", MEDIA: "1", MEDIA_WORKERS: "1" }), await start({ ROLES: "realtime,api", NODE_ID: "signal-node", MEDIA: "0" })];
  await start({ ROLES: "workers", NODE_ID: "worker" });

  const token = (user: string, role: Role): Promise<string> => tokens.sign({ tenant: "bench", user, role });
  const res = await fetch(`${otherUrl}/v1/classes`, {
    method: "POST",
    headers: { authorization: `Bearer ${await token("teacher", "teacher")}`, "content-type": "application/json" },
    body: JSON.stringify({ title: "bench", room: "bench", scheduledAt: new Date().toISOString() }),
  });
  const { id: classId } = (await res.json()) as { id: string };

  async function connect(url: string, user: string, role: Role): Promise<Socket> {
    const socket = io(`${url}/class`, { auth: { token: await token(user, role) }, transports: ["websocket"], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    return socket;
  }
  const call = async (s: Socket, event: string, payload: Record<string, unknown>): Promise<number> => {
    const t0 = performance.now();
    const reply = (await s.timeout(10_000).emitWithAck(event, { classId, ...payload })) as { error?: unknown };
    if (reply.error) throw new Error(`${event}: ${JSON.stringify(reply.error)}`);
    return performance.now() - t0;
  };

  const teacher = await connect(mediaUrl, "teacher", "teacher");
  const { rtpCapabilities } = (await teacher.timeout(10_000).emitWithAck("class:capabilities", { classId })) as { rtpCapabilities: { codecs: unknown; headerExtensions: unknown } };
  const caps = { codecs: rtpCapabilities.codecs, headerExtensions: rtpCapabilities.headerExtensions };
  await call(teacher, "class:join", { rtpCapabilities: caps });
  await call(teacher, "class:start", {});

  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; ${ROUNDS} sequential rounds per operation`);
  log("participant's node | operation | p50 ms | p99 ms");
  for (const [label, url] of [["media node", mediaUrl], ["other node (forwarded over Redis)", otherUrl]] as const) {
    const s = await connect(url, `student-${label.length}`, "student");
    await call(s, "class:join", { rtpCapabilities: caps });
    const ops: Array<[string, () => Promise<number>]> = [
      ["hand:raise", () => call(s, "hand:raise", {})],
      ["transport:create (recv)", () => call(s, "transport:create", { direction: "recv" })],
      ["class:join after a leave (attendance via Kafka)", async () => (await call(s, "class:leave", {})) * 0 + (await call(s, "class:join", { rtpCapabilities: caps }))],
    ];
    for (const [name, op] of ops) {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        times.push(await op());
        // stay under the per-socket event rate (50/s)
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1_000));
      }
      times.sort((a, b) => a - b);
      log(`${label} | ${name} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 99).toFixed(1)}`);
    }
    s.close();
  }
  teacher.close();
} finally {
  await Promise.all(children.map((c) => c.stop("SIGTERM")));
  await services.stop({ keepLogs: false });
}

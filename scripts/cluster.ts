/**
 * `npm run cluster [-- --nodes 3 --media-nodes 1 --engine ws|uws --port 8080 --sockets 100000]`: the
 * distributed system on one machine. Real Redis, Kafka (KRaft) and PostgreSQL (provisioned like the
 * tests on free ports, or REDIS_URL / DATABASE_URL / KAFKA_BROKERS), a scratch database migrated, one
 * worker process, N realtime + API node processes (STICKY_ROUTE n0…, the first `--media-nodes` host live
 * classes) and nginx in front with the production config (nginx/render-config.ts). Ctrl-C (or SIGTERM)
 * drains and stops everything. `--check` starts it, proves it serves through nginx, and stops.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { io } from "socket.io-client";
import { TokenService } from "../core/auth";
import { authDefaults } from "../core/config";
import { openDatabase } from "../db/database";
import { nginxDefaults, renderNginxConfig } from "../nginx/render-config";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { startNginx } from "../tools/services/nginx";
import { createScratchDatabase } from "../tools/services/postgres";
import { freePort } from "../tools/services/process";
import { ensureBuilt } from "../tools/services/production-build";
import { givenServices, provisionServices } from "../tools/services/provision";

const { values: args } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    "media-nodes": { type: "string", default: "1" },
    engine: { type: "string", default: "ws" },
    port: { type: "string", default: "8080" },
    sockets: { type: "string", default: String(nginxDefaults.sockets) },
    check: { type: "boolean", default: false },
  },
});
const log = (line: string): void => console.log(`[cluster] ${line}`);
const nodes = Number(args.nodes);
ensureBuilt(); // the nodes run the production bundle; build it (and fail) before provisioning
const services = await provisionServices(givenServices(process.env), log);
const children: ChildInterlinked[] = [];
const runDir = mkdtempSync(join(tmpdir(), "interlinked-cluster-"));
let nginx: { stop(): Promise<void> } | undefined;
let stopping: Promise<void> | undefined;
const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    log("stopping: nodes drain, then nginx and services");
    await Promise.allSettled(children.map((c) => c.stop("SIGTERM")));
    await nginx?.stop();
    await services.stop({ keepLogs: false });
    rmSync(runDir, { recursive: true, force: true });
  })());

try {
  const databaseUrl = await createScratchDatabase(services.env.DATABASE_URL, "cluster");
  const migrator = await openDatabase({ url: databaseUrl });
  await migrator.migrate();
  await migrator.close();
  const secret = process.env.AUTH_SECRET || randomBytes(32).toString("hex");
  const namespace = `cluster${randomBytes(3).toString("hex")}`;
  const base = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.env.REDIS_URL,
    KAFKA_BROKERS: services.env.KAFKA_BROKERS,
    MEDIASOUP_WORKER_BIN: services.env.MEDIASOUP_WORKER_BIN,
    NAMESPACE: namespace,
    AUTH_SECRET: secret,
    AUTH_DEV_TOKENS: "1",
    HOST: "127.0.0.1",
    REALTIME_ENGINE: args.engine === "uws" ? "uws" : "ws",
  };
  const start = async (env: Record<string, string>): Promise<string> => {
    const port = await freePort();
    const child = spawnInterlinked({ ...base, ...env, PORT: String(port) });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, 60_000).catch((err: unknown) => {
      throw new Error(`${env.NODE_ID} did not start: ${child.output().slice(-1500)}`, { cause: err });
    });
    log(`${env.NODE_ID} ready at ${url}`);
    return url;
  };
  await start({ ROLES: "workers", NODE_ID: "worker-0" });
  const urls = await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      start({ ROLES: "realtime,api", NODE_ID: `realtime-${i}`, STICKY_ROUTE: `n${i}`, MEDIA: i < Number(args["media-nodes"]) ? "1" : "0", MEDIA_WORKERS: "1" }),
    ),
  );
  const port = Number(args.port) || (await freePort());
  nginx = await startNginx({
    bin: services.env.NGINX_BIN,
    dir: runDir,
    port,
    config: renderNginxConfig({ ...nginxDefaults, sockets: Number(args.sockets), listen: `127.0.0.1:${port}`, nodes: urls.map((u, i) => ({ route: `n${i}`, address: new URL(u).host })), runDir }),
  });
  const url = `http://127.0.0.1:${port}`;
  log(`serving at ${url} (nginx → ${nodes} realtime node(s)); dev tokens: POST ${url}/v1/dev/tokens`);
  log(`AUTH_SECRET=${secret} NAMESPACE=${namespace}`);
  if (args.check) {
    const token = await new TokenService({ ...authDefaults, secret }).sign({ tenant: "check", user: "u", role: "student" });
    const socket = io(url, { auth: { token }, transports: ["polling", "websocket"], reconnection: false });
    const joined = await new Promise((resolve, reject) => {
      socket.once("connect_error", reject);
      socket.once("connect", () => void socket.timeout(5_000).emitWithAck("room:join", { room: "check" }).then(resolve, reject));
    });
    const ready = await fetch(`${url}/health/ready`);
    socket.close();
    log(`check: ready ${ready.status}, room:join ${JSON.stringify(joined)}`);
    if (ready.status !== 200) throw new Error("cluster not ready through nginx");
    await stop();
  } else {
    process.once("SIGINT", () => void stop().then(() => process.exit(0)));
    process.once("SIGTERM", () => void stop().then(() => process.exit(0)));
  }
} catch (err) {
  await stop();
  throw err;
}

/**
 * `npm start`: one Interlinked process. With no DATABASE_URL / REDIS_URL / KAFKA_BROKERS it is the whole
 * system on embedded defaults (PGlite under DATA_DIR, in-memory bus, single-node Socket.IO).
 * With REALTIME_WORKERS=N (ws engine, REDIS_URL set) a primary listens on PORT and hands connections to N
 * Node cluster workers with @socket.io/sticky, each a full process of the configured roles.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { setupMaster } from "@socket.io/sticky";
import { configFromEnv } from "../core/config-env";
import { startInterlinked } from "./interlinked";

process.on("unhandledRejection", (reason) => console.error("[process] unhandled rejection", reason));

const config = configFromEnv(process.env);
const clustered = config.realtime.workers > 1 && !config.realtime.stickyWorker;

if (clustered && cluster.isPrimary) {
  if (!config.redisUrl) throw new Error("REALTIME_WORKERS > 1 needs REDIS_URL (the workers share rooms through the Redis adapter)");
  if (config.realtime.engine !== "ws") throw new Error("REALTIME_WORKERS works with the ws engine; run uWebSockets.js nodes as separate processes");
  const server = createServer();
  setupMaster(server, { loadBalancingMethod: "least-connection" });
  // sticky hands the first request chunk (a Buffer) over IPC: JSON serialization would mangle it
  cluster.setupPrimary({ serialization: "advanced" });
  for (let i = 0; i < config.realtime.workers; i++) {
    cluster.fork({ INTERLINKED_STICKY_WORKER: "1", NODE_ID: `${config.nodeId}-w${i}` });
  }
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    console.error(`worker ${worker.id} exited (${signal ?? code}); starting another`);
    cluster.fork({ INTERLINKED_STICKY_WORKER: "1", NODE_ID: `${config.nodeId}-w${Date.now()}` });
  });
  // listen only once every worker is ready: a connection handed to a worker still booting would be lost
  let ready = 0;
  cluster.on("message", (_worker, message: { type?: string }) => {
    if (message?.type !== "interlinked:ready" || ++ready !== config.realtime.workers) return;
    server.listen(config.port, config.host, () => {
      console.log(`interlinked ${config.nodeId} (primary) listening on http://${config.host}:${config.port} with ${config.realtime.workers} sticky workers`);
    });
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping workers`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    server.close();
    setTimeout(() => process.exit(0), 3_000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
} else {
  // A sticky worker may be handed connections before it is ready: hold them until it is, then replay.
  const early: Array<[unknown, unknown]> = [];
  const hold = (message: unknown, handle: unknown): void => void early.push([message, handle]);
  if (config.realtime.stickyWorker) process.on("message", hold);
  const running = await startInterlinked(config);
  if (config.realtime.stickyWorker) {
    process.off("message", hold);
    for (const [message, handle] of early) (process.emit as (event: string, ...args: unknown[]) => boolean)("message", message, handle);
    process.send?.({ type: "interlinked:ready" });
  }
  console.log(`interlinked ${config.nodeId} listening on ${config.realtime.stickyWorker ? `the sticky primary's port ${config.port}` : running.url}`);
  for (const [part, what] of Object.entries(running.parts)) console.log(`  ${part.padEnd(9)} ${what}`);
  console.log(`  socket.io ${running.url}/socket.io`);
  console.log(`  health    ${running.url}/health/live  ${running.url}/health/ready`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining for up to ${config.realtime.drainGraceMs} ms, then shutting down`);
    const drain = signal === "SIGTERM" ? running.drain(config.realtime.drainGraceMs) : Promise.resolve();
    void drain
      .catch((err: unknown) => console.error("[drain]", err))
      .then(() => running.close())
      .then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/**
 * `npm start`: one Interlinked process. With no DATABASE_URL / REDIS_URL / KAFKA_BROKERS it is the whole
 * system on embedded defaults (PGlite under DATA_DIR, in-memory bus, single-node Socket.IO).
 * With REALTIME_WORKERS=N (ws engine, REDIS_URL set) a primary listens on PORT and hands connections to N
 * Node cluster workers with @socket.io/sticky, each a full process of the configured roles.
 * Everything it logs is JSON lines on stdout (pino; LOG_LEVEL), the start banner included.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { setupMaster } from "@socket.io/sticky";
import { hasRedis } from "../core/config";
import { configFromEnv } from "../core/config-env";
import { createLogger } from "../core/log";
import { stackTracesUnmapped } from "../core/stack-map";
import { startInterlinked } from "./interlinked";
import { defaultMediasoupWorker } from "./media-worker-default";
import { CLOSE_DEADLINE_MS, closeWithin } from "./shutdown";

// the bundle runs with --enable-source-maps to load its map; logged stacks are mapped by the logger, and
// Node's own reads of every failed socket write's stack stay cheap (core/stack-map.ts)
if (process.execArgv.includes("--enable-source-maps")) stackTracesUnmapped();

// `npm start` with no MEDIASOUP_WORKER_BIN: the worker its first step cached, so the embedded node hosts classes
if (!process.env.MEDIASOUP_WORKER_BIN && process.env.MEDIA !== "0") {
  const worker = defaultMediasoupWorker();
  if (worker) process.env.MEDIASOUP_WORKER_BIN = worker;
}
const config = configFromEnv(process.env);
const log = createLogger({ nodeId: config.nodeId, level: config.logLevel });
process.on("unhandledRejection", (reason) => log.error({ err: reason }, "process: unhandled rejection"));
const clustered = config.realtime.workers > 1 && !config.realtime.stickyWorker;

if (clustered && cluster.isPrimary) {
  if (!hasRedis(config)) throw new Error("REALTIME_WORKERS > 1 needs REDIS_URL or REDIS_CLUSTER_NODES (the workers share rooms through the Redis adapter)");
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
    log.error({ worker: worker.id, exit: signal ?? code }, `worker ${worker.id} exited (${signal ?? code}); starting another`);
    cluster.fork({ INTERLINKED_STICKY_WORKER: "1", NODE_ID: `${config.nodeId}-w${Date.now()}` });
  });
  // listen only once every worker is ready: a connection handed to a worker still booting would be lost
  let ready = 0;
  cluster.on("message", (_worker, message: { type?: string }) => {
    if (message?.type !== "interlinked:ready" || ++ready !== config.realtime.workers) return;
    server.listen(config.port, config.host, () => {
      log.info(
        { url: `http://${config.host}:${config.port}`, workers: config.realtime.workers },
        `interlinked ${config.nodeId} (primary) listening on http://${config.host}:${config.port} with ${config.realtime.workers} sticky workers`,
      );
    });
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${signal}: stopping workers`);
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
  // the banner: one record per line, readable as `msg` and structured as fields
  running.log.info({ url: running.url }, `interlinked ${config.nodeId} listening on ${config.realtime.stickyWorker ? `the sticky primary's port ${config.port}` : running.url}`);
  for (const [part, what] of Object.entries(running.parts)) running.log.info({ part, value: what }, `  ${part.padEnd(9)} ${what}`);
  running.log.info({ part: "socket.io", value: `${running.url}/socket.io` }, `  socket.io ${running.url}/socket.io`);
  running.log.info({ part: "health", value: `${running.url}/health/ready` }, `  health    ${running.url}/health/live  ${running.url}/health/ready`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.log.info({ signal, graceMs: config.realtime.drainGraceMs }, `${signal}: draining for up to ${config.realtime.drainGraceMs} ms, then shutting down`);
    const drain = signal === "SIGTERM" ? running.drain(config.realtime.drainGraceMs) : Promise.resolve();
    void drain
      .catch((err: unknown) => running.log.error({ err }, "drain failed"))
      .then(() => closeWithin(() => running.close()))
      .then((outcome) => {
        if (!outcome.closed) running.log.error({ err: outcome.err, deadlineMs: CLOSE_DEADLINE_MS }, `shutdown: closing ${outcome.reason}; exiting anyway`);
        process.exit(outcome.closed ? 0 : 1);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

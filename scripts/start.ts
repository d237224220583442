/**
 * `npm start`: one Interlinked process. With no DATABASE_URL / REDIS_URL / KAFKA_BROKERS it is the whole
 * system on embedded defaults (PGlite under DATA_DIR, in-memory bus, single-node Socket.IO).
 */
import { configFromEnv } from "../core/config-env";
import { startInterlinked } from "./interlinked";

process.on("unhandledRejection", (reason) => console.error("[process] unhandled rejection", reason));

const config = configFromEnv(process.env);
const running = await startInterlinked(config);
console.log(`interlinked ${config.nodeId} listening on ${running.url}`);
for (const [part, what] of Object.entries(running.parts)) console.log(`  ${part.padEnd(9)} ${what}`);
console.log(`  socket.io ${running.url}/socket.io`);
console.log(`  health    ${running.url}/health/live  ${running.url}/health/ready`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  void running.close().then(() => process.exit(0));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

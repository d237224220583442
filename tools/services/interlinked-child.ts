import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { distPathOf, repoRoot } from "../build/production";
import { waitUntil } from "./process";
import { ensureBuilt } from "./production-build";

/** Escape hatch: INTERLINKED_CHILD_FROM_SOURCE=1 runs app/main.ts through tsx instead of the production bundle. */
const FROM_SOURCE_ENV = "INTERLINKED_CHILD_FROM_SOURCE";

export interface ChildInterlinked {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Node arguments that start the entry point: the production bundle (built for this run by ensureBuilt), or the source through tsx. */
function entryArgs(): string[] {
  if (process.env[FROM_SOURCE_ENV] === "1") return ["--import", "tsx", join(repoRoot, "app", "main.ts")];
  ensureBuilt();
  return ["--enable-source-maps", distPathOf("app/main.ts")];
}

/**
 * The child's Redis: the one `env` names. A test run exports both REDIS_URL and REDIS_CLUSTER_NODES
 * (tests/global-setup.ts), and a process refuses both, so the one `env` does not name is not inherited
 * (naming neither inherits REDIS_URL only).
 */
function oneRedis(env: Record<string, string>): Record<string, string> {
  if (env.REDIS_CLUSTER_NODES !== undefined) return { REDIS_URL: "", ...env };
  return { REDIS_CLUSTER_NODES: "", ...env };
}

/** What a benchmark's realtime node runs on: the services, its port, namespace, secret, engine and id. */
export interface RealtimeNodeSetup {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
  namespace: string;
  secret: string;
  engine: "ws" | "uws";
  nodeId: string;
}

/** The environment of a realtime-only node on the given services (loopback), for `spawnInterlinked`; `extra` on top. */
export function realtimeNodeEnv(o: RealtimeNodeSetup, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ROLES: "realtime",
    PORT: String(o.port),
    HOST: "127.0.0.1",
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    KAFKA_BROKERS: o.kafkaBrokers,
    NAMESPACE: o.namespace,
    AUTH_SECRET: o.secret,
    REALTIME_ENGINE: o.engine,
    NODE_ID: o.nodeId,
    ...extra,
  };
}

/**
 * Runs the real entry point as its own process, the way production does (`node dist/app/main.js`, the
 * bundle `npm start` and the image run), with `env` on top of this one's (and `nodeArgs`, e.g. --cpu-prof).
 */
export function spawnInterlinked(env: Record<string, string>, nodeArgs: string[] = []): ChildInterlinked {
  let output = "";
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs()], { env: { ...process.env, ...oneRedis(env) }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until GET /health/ready answers 200. */
export async function waitReady(url: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`${url}/health/ready`, async () => (await fetch(`${url}/health/ready`)).status === 200, { timeoutMs });
}

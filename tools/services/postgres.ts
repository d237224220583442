import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

const run = promisify(execFile);

export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** uid/gid to run the server as: PostgreSQL refuses to run as root. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
  const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
  return { uid, gid };
}

/** uid/gid the server runs as (the `postgres` user when this process is root), for files it must own. */
export const postgresUser = serverUser;

/**
 * initdb + postgres on a free loopback port, tuned for throwaway test data (no fsync); `settings` are
 * further server settings (e.g. WAL archiving).
 */
export async function startPostgres(postgresBin: string, dir: string, logDir: string, settings: Record<string, string> = {}): Promise<{ url: string; proc: ServiceProcess }> {
  const bin = dirname(postgresBin);
  const data = join(dir, "pgdata");
  const user = await serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  await run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], {
    uid: user?.uid,
    gid: user?.gid,
    cwd: dir,
  });
  return startPostgresOn(postgresBin, data, dir, logDir, settings);
}

/**
 * postgres on an existing data directory (`data`, the server user's), on a free loopback port, its
 * socket in `dir`; resolves once it answers queries (after crash or archive recovery).
 */
export async function startPostgresOn(postgresBin: string, data: string, dir: string, logDir: string, settings: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ url: string; proc: ServiceProcess }> {
  const port = await freePort();
  const proc = await spawnPostgres(postgresBin, dir, logDir, port, { data, settings });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntil("postgres", () => postgresAnswers(url), { timeoutMs, proc });
  return { url, proc };
}

/**
 * Starts the server of an initialised data directory (default `<dir>/pgdata`, see startPostgres) on
 * `port`: the first start, or a restart after it was stopped (the same data, the same URL).
 */
export async function spawnPostgres(
  postgresBin: string,
  dir: string,
  logDir: string,
  port: number,
  options: { data?: string; settings?: Record<string, string> } = {},
): Promise<ServiceProcess> {
  const user = await serverUser();
  return spawnService({
    name: "postgres",
    command: postgresBin,
    args: [
      "-D", options.data ?? join(dir, "pgdata"), "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`,
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
      ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
    logFile: `${logDir}/postgres.log`,
    cwd: dir,
    uid: user?.uid,
    gid: user?.gid,
  });
}

/** Creates an empty database named `<prefix>_<random>` on the server of `baseUrl`; returns its URL. */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A server of one's own that can be stopped (fast shutdown) and started again on the same port and data. */
export interface RestartablePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** initdb + postgres, stoppable (fast shutdown) and startable again on the same port and data. */
export async function startRestartablePostgres(bin: string, dir: string, logDir: string): Promise<RestartablePostgres> {
  const first = await startPostgres(bin, dir, logDir);
  let proc: ServiceProcess | undefined = first.proc;
  const port = Number(new URL(first.url).port);
  return {
    url: first.url,
    async stop() {
      if (!proc) return;
      proc.child.kill("SIGINT"); // fast shutdown: open connections are cut
      await proc.stop(10_000);
      proc = undefined;
    },
    async start() {
      if (proc) return;
      proc = await spawnPostgres(bin, dir, logDir, port);
      await waitUntil("postgres (restarted)", () => postgresAnswers(first.url), { timeoutMs: 30_000, proc });
    },
  };
}

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Rejects as soon as the process exits (for racing against readiness checks). */
  exited: Promise<never>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a long-running service with stdout and stderr appended to its log file. */
export function spawnService(options: SpawnOptions): ServiceProcess {
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    uid: options.uid,
    gid: options.gid,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // both streams feed one log: neither may end it; it ends once the child's stdio has closed
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once("close", () => log.end());
  log.on("error", () => undefined);
  let exitCode: number | null | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitCode = code ?? (signal ? -1 : 0);
      resolve();
    });
    child.once("error", (err) => {
      log.write(`spawn error: ${err.message}\n`);
      exitCode = -1;
      resolve();
    });
  });
  const exited = exit.then(() => {
    throw new Error(`${options.name} exited (code ${String(exitCode)}); see ${options.logFile}`);
  });
  exited.catch(() => undefined);
  return {
    name: options.name,
    child,
    logFile: options.logFile,
    exited,
    async stop(graceMs = 5_000) {
      if (exitCode !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it resolves true, the process dies, or `timeoutMs` passes. */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: { timeoutMs: number; proc?: ServiceProcess }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const poll = async (): Promise<void> => {
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`${what} not ready after ${options.timeoutMs} ms` + (options.proc ? `; see ${options.proc.logFile}` : ""));
  };
  await (options.proc ? Promise.race([poll(), options.proc.exited]) : poll());
}

import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "./process";

const startScript = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "app", "main.ts");

export interface ChildInterlinked {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the real entry point (`npm start` = tsx app/main.ts) as its own process with `env` on top of this one's (and `nodeArgs`, e.g. --cpu-prof). */
export function spawnInterlinked(env: Record<string, string>, nodeArgs: string[] = []): ChildInterlinked {
  let output = "";
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", startScript], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

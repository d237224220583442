import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The shared builder of a real mediasoup worker (beside this repository in every checkout and CI run). */
export const MEDIASOUP_ENSURE = resolve(repoRoot, "..", "shared", "tools", "mediasoup-worker", "ensure.sh");

/**
 * Path of a working mediasoup-worker: $MEDIASOUP_WORKER_BIN when set, else what ensure.sh prints
 * (it builds one from the npm tarball once, 5–9 minutes, then caches it).
 */
export async function ensureMediasoupWorker(given: string | undefined, log: (line: string) => void): Promise<string> {
  if (given) {
    if (!existsSync(given)) throw new Error(`MEDIASOUP_WORKER_BIN=${given} does not exist`);
    return given;
  }
  if (!existsSync(MEDIASOUP_ENSURE)) {
    throw new Error(`no mediasoup worker: set MEDIASOUP_WORKER_BIN, or provide ${MEDIASOUP_ENSURE} (shared/tools beside the repository)`);
  }
  log(`mediasoup worker via ${MEDIASOUP_ENSURE} (a first build takes 5–9 min, then it is cached)`);
  const { stdout } = await run(MEDIASOUP_ENSURE, [], { maxBuffer: 64 << 20, timeout: 20 * 60_000 });
  const bin = stdout.trim().split("\n").pop() ?? "";
  if (!existsSync(bin)) throw new Error(`mediasoup ensure.sh printed no worker path (got "${bin}")`);
  return bin;
}


import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { version } from "mediasoup";

/**
 * Where a mediasoup worker binary for the installed mediasoup is, when MEDIASOUP_WORKER_BIN is not set:
 * the cache `npm start`'s first step (and the test provisioning) fills (~/.cache/mediasoup-worker/
 * <version>/out/mediasoup-worker), or the package's own build. Undefined when there is none: the node
 * then signals classes without hosting them.
 */
export function defaultMediasoupWorker(): string | undefined {
  const candidates = [join(homedir(), ".cache", "mediasoup-worker", version, "out", "mediasoup-worker")];
  try {
    // mediasoup's entry is <package>/node/lib/index.js; its own build goes to <package>/worker/out/Release
    candidates.push(join(createRequire(import.meta.url).resolve("mediasoup"), "..", "..", "..", "worker", "out", "Release", "mediasoup-worker"));
  } catch {
    // not resolvable: only the cache
  }
  return candidates.find((c) => existsSync(c));
}

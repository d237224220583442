import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const K6_VERSION = "v1.8.1";
const CACHE_BIN = join(homedir(), ".cache", "interlinked", `k6-${K6_VERSION}`);

/**
 * Path of a k6 binary for the load tests: $K6_BIN when set, else one built from source with Go
 * (`go install go.k6.io/k6@v1.8.1` through the Go module proxy, a few minutes once) and cached in
 * ~/.cache/interlinked. Fails with how to get one when Go is missing.
 */
export async function ensureK6(given: string | undefined, log: (line: string) => void): Promise<string> {
  if (given) {
    if (!existsSync(given)) throw new Error(`K6_BIN=${given} does not exist`);
    return given;
  }
  const bin = join(CACHE_BIN, "k6");
  if (existsSync(bin)) return bin;
  const go = ["/usr/local/go/bin/go", "/usr/bin/go"].find((p) => existsSync(p)) ?? "go";
  log(`k6 ${K6_VERSION}: building with ${go} (go install go.k6.io/k6@${K6_VERSION}; a few minutes once, then cached in ${CACHE_BIN})`);
  mkdirSync(CACHE_BIN, { recursive: true });
  try {
    await run(go, ["install", `go.k6.io/k6@${K6_VERSION}`], { env: { ...process.env, GOBIN: CACHE_BIN }, timeout: 30 * 60_000, maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`could not build k6 (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): install Go ≥ 1.22 with access to the Go module proxy, or set K6_BIN`, { cause: err });
  }
  if (!existsSync(bin)) throw new Error(`go install did not produce ${bin}`);
  return bin;
}

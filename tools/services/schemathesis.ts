import { execFile } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The pinned schemathesis (PyPI), the OpenAPI fuzzer of tests/openapi-fuzz.int.test.ts. */
export const SCHEMATHESIS_VERSION = "4.32.5";

/**
 * Path of the `schemathesis` command: `given` (SCHEMATHESIS_BIN) when set, else the cached virtualenv
 * ~/.cache/interlinked/schemathesis-<version>, else one created there with `python3 -m venv` and
 * `pip install schemathesis==<version>` from PyPI (about a minute once). A `.complete` marker is written
 * last, so an interrupted install is redone rather than used. Fails with how to get it.
 */
export async function ensureSchemathesis(given: string | undefined, log: (line: string) => void): Promise<string> {
  if (given) {
    if (!existsSync(given)) throw new Error(`SCHEMATHESIS_BIN=${given} does not exist`);
    return given;
  }
  const dir = join(homedir(), ".cache", "interlinked", `schemathesis-${SCHEMATHESIS_VERSION}`);
  const bin = join(dir, "bin", "schemathesis");
  const marker = join(dir, ".complete");
  if (existsSync(marker) && existsSync(bin)) return bin;
  log(`schemathesis ${SCHEMATHESIS_VERSION}: installing from PyPI into ${dir} (once)`);
  rmSync(dir, { recursive: true, force: true });
  const opts = { env: process.env, timeout: 15 * 60_000, maxBuffer: 64 << 20 };
  try {
    // a venv records its own path in its scripts, so it is created where it stays
    await run("python3", ["-m", "venv", dir], opts);
    await run(join(dir, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", `schemathesis==${SCHEMATHESIS_VERSION}`], opts);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `could not install schemathesis ${SCHEMATHESIS_VERSION} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): ` +
        `install Python ≥ 3.9 with venv (Debian: python3-venv) and access to PyPI, or set SCHEMATHESIS_BIN`,
      { cause: err },
    );
  }
  if (!existsSync(bin)) throw new Error(`pip did not produce ${bin}`);
  writeFileSync(marker, `${SCHEMATHESIS_VERSION}\n`);
  return bin;
}

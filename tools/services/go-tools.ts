import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Tools the tests build from source with Go (module proxy) once and cache in ~/.cache/interlinked. */
export const GO_TOOLS = {
  k6: { module: "go.k6.io/k6", version: "v1.8.1", env: "K6_BIN" },
  kustomize: { module: "sigs.k8s.io/kustomize/kustomize/v5", version: "v5.4.3", env: "KUSTOMIZE_BIN" },
} as const;

/**
 * Path of a Go-built tool: `given` (its env variable) when set, else the cached build, else
 * `go install <module>@<version>` into the cache (a few minutes once). Fails with how to get it.
 */
export async function ensureGoTool(tool: keyof typeof GO_TOOLS, given: string | undefined, log: (line: string) => void): Promise<string> {
  const { module, version, env } = GO_TOOLS[tool];
  if (given) {
    if (!existsSync(given)) throw new Error(`${env}=${given} does not exist`);
    return given;
  }
  const dir = join(homedir(), ".cache", "interlinked", `${tool}-${version}`);
  const bin = join(dir, tool);
  if (existsSync(bin)) return bin;
  const go = ["/usr/local/go/bin/go", "/usr/bin/go"].find((p) => existsSync(p)) ?? "go";
  log(`${tool} ${version}: building with ${go} (go install ${module}@${version}; a few minutes once, then cached in ${dir})`);
  mkdirSync(dir, { recursive: true });
  try {
    await run(go, ["install", `${module}@${version}`], { env: { ...process.env, GOBIN: dir }, timeout: 30 * 60_000, maxBuffer: 64 << 20 });
  } catch (err) {
    throw new Error(`could not build ${tool} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): install Go ≥ 1.22 with access to the Go module proxy, or set ${env}`, { cause: err });
  }
  if (!existsSync(bin)) throw new Error(`go install did not produce ${bin}`);
  return bin;
}

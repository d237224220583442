import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

interface GoTool {
  module: string;
  version: string;
  env: string;
  /**
   * "install": `go install module@version`. "module": built inside a throwaway module
   * (`go get -tool`, then `go build`), for tools whose go.mod has replace directives, which
   * `go install …@version` refuses.
   */
  build: "install" | "module";
}

/** Tools the tests build from source with Go (module proxy) once and cache in ~/.cache/interlinked. */
export const GO_TOOLS = {
  k6: { module: "go.k6.io/k6", version: "v1.8.1", env: "K6_BIN", build: "install" },
  kustomize: { module: "sigs.k8s.io/kustomize/kustomize/v5", version: "v5.4.3", env: "KUSTOMIZE_BIN", build: "install" },
  /** Jaeger all-in-one (OTLP receiver, in-memory storage, query API) for the tracing test. */
  jaeger: { module: "github.com/jaegertracing/jaeger/cmd/jaeger", version: "v1.76.0", env: "JAEGER_BIN", build: "module" },
  /** Centrifugo, the anchor of the socket benchmarks (bench:sockets); not needed by the tests. */
  centrifugo: { module: "github.com/centrifugal/centrifugo/v6", version: "v6.9.1", env: "CENTRIFUGO_BIN", build: "install" },
} as const satisfies Record<string, GoTool>;

/** Builds `module@version` into `bin` inside a temporary module (go ≥ 1.24 for `go get -tool`). */
async function buildInModule(go: string, module: string, version: string, bin: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "interlinked-go-build-"));
  const opts = { cwd: work, env: process.env, timeout: 30 * 60_000, maxBuffer: 64 << 20 };
  try {
    await run(go, ["mod", "init", "interlinked.local/gotool"], opts);
    await run(go, ["get", "-tool", `${module}@${version}`], opts);
    // built beside the cache path and moved there whole: an interrupted build leaves no half binary
    await run(go, ["build", "-o", join(work, "out"), module], opts);
    copyFileSync(join(work, "out"), `${bin}.partial`);
    chmodSync(`${bin}.partial`, 0o755);
    renameSync(`${bin}.partial`, bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Where a Go-built tool is cached (present once built). */
export function goToolPath(tool: keyof typeof GO_TOOLS): string {
  return join(homedir(), ".cache", "interlinked", `${tool}-${GO_TOOLS[tool].version}`, tool);
}

/**
 * Path of a Go-built tool: `given` (its env variable) when set, else the cached build, else a build
 * from the Go module proxy into the cache (a few minutes once). Fails with how to get it.
 */
export async function ensureGoTool(tool: keyof typeof GO_TOOLS, given: string | undefined, log: (line: string) => void): Promise<string> {
  const { module, version, env, build }: GoTool = GO_TOOLS[tool];
  if (given) {
    if (!existsSync(given)) throw new Error(`${env}=${given} does not exist`);
    return given;
  }
  const bin = goToolPath(tool);
  const dir = dirname(bin);
  if (existsSync(bin)) return bin;
  const go = ["/usr/local/go/bin/go", "/usr/bin/go"].find((p) => existsSync(p)) ?? "go";
  log(`${tool} ${version}: building ${module}@${version} with ${go} (a few minutes once, then cached in ${dir})`);
  mkdirSync(dir, { recursive: true });
  try {
    if (build === "module") await buildInModule(go, module, version, bin);
    else await run(go, ["install", `${module}@${version}`], { env: { ...process.env, GOBIN: dir }, timeout: 30 * 60_000, maxBuffer: 64 << 20 });
  } catch (err) {
    const goVersion = build === "module" ? "1.24" : "1.22";
    throw new Error(`could not build ${tool} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): install Go ≥ ${goVersion} with access to the Go module proxy, or set ${env}`, { cause: err });
  }
  if (!existsSync(bin)) throw new Error(`the Go build did not produce ${bin}`);
  return bin;
}

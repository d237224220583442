/**
 * Builds the SDK package (sdk/package.json `exports`):
 * - `<outDir>/interlinked.browser.js`: ESM for browsers, socket.io-client (and mediasoup-client, once
 *   sdk/src/class uses it) bundled in; nothing of the server (the SDK imports core/ as types only).
 * - `<outDir>/index.js`: the Node ESM entry, dependencies left external (resolved from node_modules).
 * - `<outDir>/types/`: declarations emitted by the TypeScript compiler (`tsc --emitDeclarationOnly`, with
 *   the core/ protocol types the SDK's declarations refer to); the entry is `types/sdk/src/index.d.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

const sdkRoot = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(sdkRoot, "..");

/** The browsers the bundle is built for (same as the pages, tools/build/web.ts). */
const browserTargets = ["chrome110", "firefox110", "safari16"];

export interface SdkBuild {
  browser: string;
  node: string;
  types: string;
  /** esbuild's account of the browser bundle's inputs and imports (tests check that no server code is in it). */
  browserMetafile: Metafile;
}

/** Builds the SDK into `outDir` (default sdk/dist). */
export async function buildSdk(outDir: string = join(sdkRoot, "dist")): Promise<SdkBuild> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const entry = join(sdkRoot, "src", "index.ts");
  const browser = join(outDir, "interlinked.browser.js");
  const node = join(outDir, "index.js");
  const common = { entryPoints: [entry], bundle: true, format: "esm" as const, sourcemap: true, logLevel: "warning" as const, absWorkingDir: repoRoot };
  const [browserResult] = await Promise.all([
    build({ ...common, outfile: browser, platform: "browser", target: browserTargets, minify: true, metafile: true, define: { "process.env.NODE_ENV": '"production"' } }),
    build({ ...common, outfile: node, platform: "node", target: "node20", packages: "external" }),
  ]);
  const types = join(outDir, "types");
  execFileSync(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", join(sdkRoot, "tsconfig.build.json"), "--outDir", types], { cwd: repoRoot, stdio: "pipe" });
  return { browser, node, types: join(types, "sdk", "src", "index.d.ts"), browserMetafile: browserResult.metafile };
}

/**
 * Builds the SDK package (sdk/package.json `exports`):
 * - `<outDir>/interlinked.browser.js`: ESM for browsers, socket.io-client bundled in; nothing of the
 *   server (the SDK imports core/ as types only).
 * - `<outDir>/class.browser.js`: the live-class entry (`@interlinked/sdk/class`, sdk/src/class) for
 *   browsers, socket.io-client and mediasoup-client bundled in.
 * - `<outDir>/index.js`, `<outDir>/class.js`: the Node ESM entries, dependencies left external.
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
  /** The live-class entry (`@interlinked/sdk/class`, sdk/src/class): mediasoup-client bundled in its browser file. */
  classBrowser: string;
  classNode: string;
  classTypes: string;
  /** esbuild's account of the main browser bundle's inputs and imports (tests check that no server code is in it). */
  browserMetafile: Metafile;
  classBrowserMetafile: Metafile;
}

/** Builds the SDK into `outDir` (default sdk/dist); `declarations: false` skips the (slow) tsc step. */
export async function buildSdk(outDir: string = join(sdkRoot, "dist"), options: { declarations?: boolean } = {}): Promise<SdkBuild> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const entries = { main: join(sdkRoot, "src", "index.ts"), class: join(sdkRoot, "src", "class", "index.ts") };
  const files = {
    browser: join(outDir, "interlinked.browser.js"),
    node: join(outDir, "index.js"),
    classBrowser: join(outDir, "class.browser.js"),
    classNode: join(outDir, "class.js"),
  };
  const common = { bundle: true, format: "esm" as const, sourcemap: true, logLevel: "warning" as const, absWorkingDir: repoRoot };
  const forBrowser = { ...common, platform: "browser" as const, target: browserTargets, minify: true, metafile: true as const, define: { "process.env.NODE_ENV": '"production"' } };
  const forNode = { ...common, platform: "node" as const, target: "node20", packages: "external" as const };
  const [browserResult, classResult] = await Promise.all([
    build({ ...forBrowser, entryPoints: [entries.main], outfile: files.browser }),
    build({ ...forBrowser, entryPoints: [entries.class], outfile: files.classBrowser }),
    build({ ...forNode, entryPoints: [entries.main], outfile: files.node }),
    build({ ...forNode, entryPoints: [entries.class], outfile: files.classNode }),
  ]);
  const types = join(outDir, "types");
  if (options.declarations !== false) execFileSync(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", join(sdkRoot, "tsconfig.build.json"), "--outDir", types], { cwd: repoRoot, stdio: "pipe" });
  return {
    ...files,
    types: join(types, "sdk", "src", "index.d.ts"),
    classTypes: join(types, "sdk", "src", "class", "index.d.ts"),
    browserMetafile: browserResult.metafile,
    classBrowserMetafile: classResult.metafile,
  };
}

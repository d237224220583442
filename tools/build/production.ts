/**
 * The production build: each entry point bundled by esbuild into one ESM file under dist/ (same relative
 * path, `.js`), with a source map. npm packages stay external (imported from node_modules at run time, so
 * native modules such as mediasoup and uWebSockets.js load as usual); only this repository's TypeScript is
 * compiled. No `keepNames` (tsx sets it; it gave every socket-side closure a `name` property store).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, type BuildOptions } from "esbuild";
import { buildWeb } from "./web";

/** The package root (this file is tools/build/production.ts). */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Output directory, gitignored; rebuilt from scratch by every build. */
export const distDir = join(repoRoot, "dist");

/** The production entry points, relative to the root: the process entry (every role) and the migration CLI. */
export const productionEntries = ["app/main.ts", "scripts/migrate.ts"] as const;
export type ProductionEntry = (typeof productionEntries)[number];

/** Absolute path of the bundle built from `entry` (`app/main.ts` → `<root>/dist/app/main.js`). */
export function distPathOf(entry: ProductionEntry): string {
  return join(distDir, entry.replace(/\.ts$/, ".js"));
}

/** esbuild options of the production build (exported so the build can be inspected, e.g. by tests). */
export const bundleOptions: BuildOptions = {
  absWorkingDir: repoRoot,
  entryPoints: [...productionEntries],
  outdir: "dist",
  outbase: ".",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  keepNames: false,
  logLevel: "warning",
};

/** Where the browser pages are built (served by every node: app/web-assets.ts). */
export const webDistDir = join(distDir, "web");

/**
 * Deletes dist/ and bundles every production entry and every browser page (web/, ./web.ts) into it;
 * throws (esbuild's message) when a build error occurs.
 */
export function buildProduction(): void {
  rmSync(distDir, { recursive: true, force: true });
  buildSync(bundleOptions);
  buildWeb(repoRoot, webDistDir);
}

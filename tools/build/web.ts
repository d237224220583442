/**
 * The browser pages: every directory `web/<page>/` holding a `main.ts` is one page. esbuild bundles its
 * `main.ts` (with the SDK, socket.io-client and mediasoup-client) into `dist/web/<page>/main.js` for
 * browsers (ESM, source map); every other file of the directory (index.html, css, images) is copied as it
 * is. Nodes serve `dist/web` (app/web-assets.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildSync, type BuildOptions } from "esbuild";

/** The browsers the pages are built for (Chromium-based, Firefox, Safari of the last years). */
export const browserTargets = ["chrome110", "firefox110", "safari16"];

/** The page directories of `webRoot` (those with a main.ts), sorted. */
export function webPages(webRoot: string): string[] {
  if (!existsSync(webRoot)) return [];
  return readdirSync(webRoot)
    .filter((name) => statSync(join(webRoot, name)).isDirectory() && existsSync(join(webRoot, name, "main.ts")))
    .sort();
}

/** esbuild options for one page. */
export function pageBuildOptions(repoRoot: string, page: string, outDir: string): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: [join("web", page, "main.ts")],
    outfile: join(outDir, page, "main.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: browserTargets,
    sourcemap: true,
    minify: true,
    logLevel: "warning",
    // the SDK and pages import protocol types from core/ only as types; a value import of node-only code fails here
    define: { "process.env.NODE_ENV": '"production"' },
  };
}

/** Builds every page of `<repoRoot>/web` into `<outDir>/<page>/`; returns the pages built. */
export function buildWeb(repoRoot: string, outDir: string): string[] {
  const webRoot = join(repoRoot, "web");
  const pages = webPages(webRoot);
  for (const page of pages) {
    mkdirSync(join(outDir, page), { recursive: true });
    buildSync(pageBuildOptions(repoRoot, page, outDir));
    for (const file of readdirSync(join(webRoot, page))) {
      if (file.endsWith(".ts")) continue;
      const from = join(webRoot, page, file);
      if (statSync(from).isFile()) copyFileSync(from, join(outDir, page, file));
    }
  }
  return pages;
}

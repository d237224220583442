import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { distPathOf, productionEntries } from "../tools/build/production";
import { ensureBuilt } from "../tools/services/production-build";

// The bundle production runs (npm start, the image, the migrate Job): built once per run by the global setup.
describe("production build (dist/)", () => {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), "interlinked-dist-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("bundles every entry point with a source map, without keepNames, importing only packages and node: builtins", () => {
    for (const entry of productionEntries) {
      const file = distPathOf(entry);
      expect(existsSync(`${file}.map`), `${entry} source map`).toBe(true);
      const code = readFileSync(file, "utf8");
      expect(code, entry).not.toContain("__name(");
      const specifiers = [...code.matchAll(/^import [^;]*? from "([^"]+)";$/gm)].map((m) => m[1] ?? "");
      expect(specifiers.length, entry).toBeGreaterThan(0);
      for (const s of specifiers) expect(s, `${entry} imports ${s}`).not.toMatch(/^\.|\.ts$/);
    }
  });

  it("runs the migration CLI from dist/ in another working directory (db/migrations found from the bundle)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--enable-source-maps", distPathOf("scripts/migrate.ts")], {
      cwd: dataDir,
      env: { ...process.env, DATABASE_URL: "", DATA_DIR: dataDir },
      timeout: 90_000,
    });
    expect(stdout).toContain("migrations applied to PGlite");
    expect(existsSync(join(dataDir, "pglite"))).toBe(true);
  }, 120_000);
});

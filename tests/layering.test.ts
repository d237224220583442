import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const depcruise = join(root, "node_modules", ".bin", "depcruise");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Lays out a tiny tree with the project's own layering rules and returns what `depcruise` says of it. */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "layering-"));
  dirs.push(dir);
  cpSync(join(root, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", allowImportingTsExtensions: true, noEmit: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const folders = [...new Set(Object.keys(files).map((f) => f.split("/")[0]!))];
  try {
    const { stdout, stderr } = await run(depcruise, ["--config", ".dependency-cruiser.cjs", "--output-type", "err", ...folders], { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

const base = {
  "core/errors.ts": "export const E = 1;\n",
  "db/store.ts": 'import { E } from "../core/errors";\nexport const S = E;\n',
  "api/auth.ts": 'import { S } from "../db/store";\nexport const A = S;\n',
  "realtime/node.ts": 'import { S } from "../db/store";\nexport const R = S;\n',
  "app/main.ts": 'import { A } from "../api/auth";\nimport { R } from "../realtime/node";\nexport const M = A + R;\n',
  "scripts/cli.ts": 'import { M } from "../app/main";\nexport const C = M;\n',
};

describe("npm run check: layering (core ← db ← realtime|api|workers|media ← app ← scripts)", () => {
  it("passes a tree that follows the layers", async () => {
    const { code, output } = await cruise(base);
    expect(output).toContain("no dependency violations found");
    expect(code).toBe(0);
  });

  it("fails on planted imports: lower into higher layer, between siblings, product code into tests — each named", async () => {
    const { code, output } = await cruise({
      ...base,
      "core/planted.ts": 'import { A } from "../api/auth";\nexport const P = A;\n',
      "realtime/planted.ts": 'import { A } from "../api/auth";\nexport const P = A;\n',
      "tests/support/x.ts": "export const T = 1;\n",
      "db/planted.ts": 'import { T } from "../tests/support/x";\nexport const P = T;\n',
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/core-layer: core\/planted\.ts → api\/auth\.ts/);
    expect(output).toMatch(/realtime-layer: realtime\/planted\.ts → api\/auth\.ts/);
    expect(output).toMatch(/no-tests-in-product-code: db\/planted\.ts → tests\/support\/x\.ts/);
    expect(output).toMatch(/db-layer: db\/planted\.ts → tests\/support\/x\.ts/);
    expect(output).toMatch(/4 dependency violations \(4 errors/);
  });
});

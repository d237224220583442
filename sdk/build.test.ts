import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk, type SdkBuild } from "./build";

describe("SDK build (sdk/build.ts)", () => {
  const out = mkdtempSync(join(tmpdir(), "interlinked-sdk-build-"));
  let built: SdkBuild;
  beforeAll(async () => {
    built = await buildSdk(out);
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("bundles a browser ESM file with socket.io-client in it and nothing of the server (no zod, no node: imports, no core/ code)", () => {
    const inputs = Object.keys(built.browserMetafile.inputs);
    expect(inputs.some((i) => i.includes("node_modules/socket.io-client/"))).toBe(true);
    expect(inputs.filter((i) => /node_modules\/zod\//.test(i))).toEqual([]);
    expect(inputs.filter((i) => i.startsWith("core/"))).toEqual([]); // core is imported as types only
    const imports = Object.values(built.browserMetafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith("node:") || p === "zod")).toEqual([]);
    const code = readFileSync(built.browser, "utf8");
    expect(code).not.toMatch(/\bfrom\s*["']node:|\brequire\(["']|["']zod["']/);
    // a self-contained module: no bare imports left for a browser to resolve
    expect(code).not.toMatch(/^import\s|[;}]import\s*[{*\w][^;]*from\s*["']/m);
  });

  it("bundles the live-class entry with mediasoup-client, again without server code", () => {
    const inputs = Object.keys(built.classBrowserMetafile.inputs);
    expect(inputs.some((i) => i.includes("node_modules/mediasoup-client/"))).toBe(true);
    expect(inputs.filter((i) => /node_modules\/zod\//.test(i) || i.startsWith("core/"))).toEqual([]);
    expect(readFileSync(built.classBrowser, "utf8")).not.toMatch(/\bfrom\s*["']node:|["']zod["']/);
    expect(Object.keys(built.browserMetafile.inputs).some((i) => i.includes("mediasoup-client"))).toBe(false); // the main entry stays light
  });

  it("builds a Node ESM entry with dependencies external, and declarations", async () => {
    const code = readFileSync(built.node, "utf8");
    expect(code).toMatch(/from\s*"socket\.io-client"/);
    expect(code).not.toMatch(/["']zod["']/);
    const sdk = (await import(built.node)) as typeof import("./src/index");
    expect(typeof sdk.createClient).toBe("function");
    expect(new sdk.InterlinkedError(3003, "slow down")).toMatchObject({ code: 3003, temporary: true, codeName: "SocketRate" });
    expect(existsSync(built.types)).toBe(true);
    expect(readFileSync(built.types, "utf8")).toMatch(/createClient/);
  });

  it("package.json exports point at what the build writes", () => {
    const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
      name: string;
      type: string;
      exports: Record<string, Record<string, string>>;
      dependencies: Record<string, string>;
    };
    expect(pkg).toMatchObject({ name: "@interlinked/sdk", type: "module" });
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["mediasoup-client", "socket.io-client"]);
    const written = {
      ".": { browser: built.browser, import: built.node, default: built.node, types: built.types },
      "./class": { browser: built.classBrowser, import: built.classNode, default: built.classNode, types: built.classTypes },
    };
    for (const [entry, conditions] of Object.entries(written)) {
      for (const [condition, file] of Object.entries(conditions)) {
        expect(pkg.exports[entry as "."]?.[condition]).toBe(`./dist/${relative(out, file)}`);
        expect(existsSync(file)).toBe(true);
      }
    }
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { mapStack } from "./stack-map";

describe("stack-map (logged stacks at source positions, Node's own stacks unmapped)", () => {
  it("leaves stacks of files without a source map as they are", () => {
    const stack = "Error: x\n    at f (/nowhere/x.js:3:9)\n    at node:internal/process/task_queues:95:5";
    expect(mapStack(stack)).toBe(stack);
  });

  it("in a bundle run with --enable-source-maps and mapping turned off: err.stack is the bundle's, mapStack gives the source's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-map-"));
    try {
      writeFileSync(
        join(dir, "thrower.ts"),
        ["// line 1", "export function thrower(): Error {", "  // line 3", "  return new Error(\"from thrower\");", "}", ""].join("\n"),
      );
      writeFileSync(
        join(dir, "entry.ts"),
        [
          `import { mapStack, stackTracesUnmapped } from ${JSON.stringify(resolve("core/stack-map.ts"))};`,
          `import { thrower } from "./thrower";`,
          "stackTracesUnmapped();",
          "const stack = thrower().stack ?? \"\";",
          "console.log(JSON.stringify({ raw: stack.split(\"\\n\")[1], mapped: mapStack(stack).split(\"\\n\")[1] }));",
        ].join("\n"),
      );
      await build({ entryPoints: [join(dir, "entry.ts")], bundle: true, format: "esm", platform: "node", sourcemap: true, outfile: join(dir, "bundle.mjs"), logLevel: "silent" });
      const { stdout } = await promisify(execFile)(process.execPath, ["--enable-source-maps", join(dir, "bundle.mjs")]);
      const { raw, mapped } = JSON.parse(stdout) as { raw: string; mapped: string };
      expect(raw).toMatch(/at thrower \(file:\/\/.*bundle\.mjs:\d+:\d+\)$/); // Node did not map it
      expect(mapped).toBe(`    at thrower (${join(dir, "thrower.ts")}:4:10)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

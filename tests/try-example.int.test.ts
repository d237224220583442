import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { spawnInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The README's "Try it" as pasted: `npm start &` then `node examples/try.mjs`, which waits for the server itself. */
describe("README Try it (examples/try.mjs against npm start)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "interlinked-try-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("prints the acks, the received message and the history, and exits 0", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // started and not awaited, like `npm start &`: the example must wait for readiness on its own
    const server = spawnInterlinked({ PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", KAFKA_BROKERS: "", AUTH_SECRET: "" });
    try {
      const { stdout } = await run(process.execPath, [join(root, "examples", "try.mjs")], { cwd: root, env: { ...process.env, INTERLINKED_URL: url }, timeout: 90_000 });
      expect(stdout).toContain(`ready: ${url}`);
      expect(stdout).toMatch(/alice room:message → \{"id":"[0-9a-f-]{36}","seq":1\}/);
      expect(stdout).toMatch(/bob received room:message: \{"room":"math-101","id":"[0-9a-f-]{36}","seq":1,"user":"alice","text":"hi"/);
      expect(stdout).toMatch(/GET \/v1\/rooms\/math-101\/messages → 200 .*"text":"hi"/);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../tools/services/process";
import { connectClient, emitWithAck } from "./support/clients";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";

function startProcess(port: number, dataDir: string): ChildInterlinked {
  return spawnInterlinked({ PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", KAFKA_BROKERS: "", AUTH_SECRET: "" });
}

async function devToken(url: string, body: object): Promise<string> {
  const res = await fetch(`${url}/v1/dev/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe("npm start (embedded default)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "interlinked-start-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("serves, persists in PGlite under DATA_DIR and keeps history and sequence across a restart", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = startProcess(port, dataDir);
    try {
      await waitReady(url);
      expect(first.output()).toContain(`listening on ${url}`);
      const token = await devToken(url, { tenant: "school-a", user: "alice", role: "teacher" });
      const alice = await connectClient(url, token);
      await emitWithAck(alice, "room:join", { room: "lobby" });
      expect(await emitWithAck(alice, "room:message", { room: "lobby", text: "before restart" })).toMatchObject({ seq: 1 });
      alice.close();
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = startProcess(port, dataDir);
    try {
      await waitReady(url);
      // the dev secret persisted too: a token minted before the restart would still verify; mint anew anyway
      const token = await devToken(url, { tenant: "school-a", user: "bob", role: "student" });
      const res = await fetch(`${url}/v1/rooms/lobby/messages`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { messages: Array<{ seq: number; text: string; user: string }> };
      expect(body.messages.map((m) => [m.seq, m.user, m.text])).toEqual([[1, "alice", "before restart"]]);
      const bob = await connectClient(url, token);
      await emitWithAck(bob, "room:join", { room: "lobby" });
      expect(await emitWithAck(bob, "room:message", { room: "lobby", text: "after restart" })).toMatchObject({ seq: 2 });
      bob.close();
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);

  it("does not serve dev tokens when pointed at real services without AUTH_DEV_TOKENS", async () => {
    const { configFromEnv } = await import("../core/config-env");
    const config = configFromEnv({ DATABASE_URL: "postgres://x", AUTH_SECRET: "s".repeat(32) });
    expect(config.devTokens).toBe(false);
    expect(() => configFromEnv({ REDIS_URL: "redis://x" })).toThrow(/AUTH_SECRET/);
    expect(configFromEnv({ REDIS_URL: "redis://x", AUTH_SECRET: "s".repeat(32), AUTH_DEV_TOKENS: "1" }).devTokens).toBe(true);
  });
});

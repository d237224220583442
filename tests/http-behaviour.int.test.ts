import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";
import { clientFrame, RawConnection, serverFrames, StubbornSocketIoClient, upgradeRequest, type Frame } from "./support/raw-http";

/**
 * HTTP/1.1 and Engine.IO behaviour as ordinary clients expect it, on both engines, against the real
 * entry point (embedded defaults): keep-alive and `Connection: close`, `Upgrade: h2c` answered as
 * HTTP/1.1, a repeated WebSocket upgrade answered, and SIGTERM finishing within the drain grace even
 * when a client never answers the WebSocket close handshake.
 */

const GRACE_MS = 1_000;

interface AgentResult {
  status: number;
  connection: string;
  keepAlive: string;
  reused: boolean;
}

/** GET through a keep-alive agent (Node's http client as node-fetch and most SDKs use it). */
function agentGet(agent: Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<AgentResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, connection: String(res.headers.connection ?? ""), keepAlive: String(res.headers["keep-alive"] ?? ""), reused: req.reusedSocket }),
      );
    });
    req.on("error", (err) => reject(new Error(`${path} (${JSON.stringify(headers)}, reused socket: ${req.reusedSocket}): ${err.message}`)));
    req.end();
  });
}

/** Opens an Engine.IO session on polling and upgrades it to WebSocket over a raw connection; returns the sid and that connection. */
async function upgradedSession(port: number): Promise<{ sid: string; ws: RawConnection }> {
  const open = await (await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const ws = await RawConnection.open(port);
  upgradeRequest(ws, `/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  expect((await ws.response()).status).toBe(101);
  ws.send(clientFrame(1, "2probe"));
  let received = Buffer.alloc(0);
  while (!serverFrames(received).frames.some((f) => f.payload.toString() === "3probe")) {
    if (!(await ws.wait(5_000))) throw new Error("no 3probe");
    received = Buffer.concat([received, ws.take()]);
  }
  ws.send(clientFrame(1, "5"));
  return { sid, ws };
}

async function devToken(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/dev/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant: "http", user: "u1", role: "student" }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

for (const engine of ["ws", "uws"] as const) {
  describe(`HTTP and Engine.IO as clients expect (${engine} engine)`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `interlinked-http-${engine}-`));
    let port = 0;
    let url = "";
    let node: ChildInterlinked;

    beforeAll(async () => {
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      node = spawnInterlinked({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        DATABASE_URL: "",
        REDIS_URL: "",
        KAFKA_BROKERS: "",
        AUTH_SECRET: "",
        MEDIA: "0",
        REALTIME_ENGINE: engine,
        DRAIN_GRACE_MS: String(GRACE_MS),
      });
      try {
        await waitReady(url, 120_000);
      } catch (err) {
        await node.stop("SIGKILL");
        throw new Error(`node did not start: ${node.output().slice(-2000)}`, { cause: err });
      }
    }, 130_000);

    afterAll(async () => {
      await node?.stop("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("a keep-alive agent mixing Connection: close into sequential API and polling requests never meets a hang-up", async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const results: AgentResult[] = [];
        for (let i = 0; i < 6; i++) results.push(await agentGet(agent, port, "/health/live", i % 2 ? { connection: "close" } : {}));
        for (let i = 0; i < 6; i++) results.push(await agentGet(agent, port, "/socket.io/?EIO=4&transport=polling", i % 2 ? { connection: "close" } : {}));
        expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
        // closing is said out loud; otherwise the connection stays and is reused
        expect(results.filter((_, i) => i % 2).map((r) => r.connection)).toEqual([1, 3, 5, 7, 9, 11].map(() => "close"));
        expect(results.filter((_, i) => i % 2 === 0).map((r) => r.connection === "close")).toEqual([0, 2, 4, 6, 8, 10].map(() => false));
        expect(results.filter((_, i) => i % 2).map((r) => r.reused)).toEqual([1, 3, 5, 7, 9, 11].map(() => true));
      } finally {
        agent.destroy();
      }
    });

    it("on the wire: a keep-alive response keeps the connection and names its idle timeout; Connection: close is answered with Connection: close, then closed", async () => {
      const cases = ["/health/live", "/socket.io/?EIO=4&transport=polling"].flatMap((path) => ["close", "keep-alive, close"].map((close) => ({ path, close })));
      for (const { path, close } of cases) {
        const conn = await RawConnection.open(port);
        try {
          conn.request("GET", path);
          const first = await conn.response();
          expect(first.status).toBe(200);
          expect(first.headers.connection ?? "keep-alive").not.toMatch(/close/i);
          expect(first.headers["keep-alive"]).toMatch(/timeout=\d+/);
          expect(await conn.closes(300)).toBe(false);
          conn.request("GET", path, { Connection: close });
          const second = await conn.response();
          expect(second.status).toBe(200);
          expect(second.headers.connection, `${path} with Connection: ${close}`).toMatch(/^close$/i);
          expect(await conn.closes(2_000), `${path} with Connection: ${close}`).toBe(true);
        } finally {
          conn.destroy();
        }
      }
    });

    it("answers a request carrying Upgrade: h2c as HTTP/1.1 at once, body included, and keeps the connection", async () => {
      const conn = await RawConnection.open(port);
      try {
        const h2c = { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA" };
        const started = Date.now();
        conn.request("GET", "/health/live", h2c);
        const live = await conn.response(900);
        expect(live.status).toBe(200);
        expect(JSON.parse(live.body)).toEqual({ status: "ok" });
        expect(Date.now() - started).toBeLessThan(900);
        conn.request("POST", "/v1/dev/tokens", { ...h2c, "Content-Type": "application/json" }, JSON.stringify({ tenant: "http", user: "h2c", role: "student" }));
        const token = await conn.response(5_000);
        expect(token.status).toBe(201);
        expect(JSON.parse(token.body)).toHaveProperty("token");
        conn.request("GET", "/socket.io/?EIO=4&transport=polling", h2c);
        const handshake = await conn.response();
        expect(handshake.status).toBe(200);
        expect(handshake.body).toMatch(/^0\{"sid"/);
        conn.request("GET", "/health/live");
        expect((await conn.response()).status).toBe(200);
      } finally {
        conn.destroy();
      }
    });

    it("answers a WebSocket upgrade to an API path as the HTTP request it also is", async () => {
      const conn = await RawConnection.open(port);
      try {
        upgradeRequest(conn, "/health/live");
        const live = await conn.response(900);
        expect(live.status).toBe(200);
        expect(JSON.parse(live.body)).toEqual({ status: "ok" });
      } finally {
        conn.destroy();
      }
    });

    it("answers a second WebSocket upgrade of an already upgraded session as the ws engine does (101, then a close frame), and the session goes on", async () => {
      const { sid, ws } = await upgradedSession(port);
      const again = await RawConnection.open(port);
      try {
        upgradeRequest(again, `/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
        const answer = await again.response(3_000);
        expect(answer.status).toBe(101);
        let frames: Frame[] = [];
        let received = again.take();
        while (!(frames = serverFrames(received).frames).some((f) => f.opcode === 8)) {
          if (!(await again.wait(3_000))) throw new Error(`no close frame; frames ${JSON.stringify(frames)}`);
          received = Buffer.concat([received, again.take()]);
        }
        expect(frames.map((f) => f.opcode)).toEqual([8]);
        // the upgraded session is untouched: an Engine.IO message still goes through (a Socket.IO connect without a token is refused, with an answer)
        ws.send(clientFrame(1, "40"));
        let reply = Buffer.alloc(0);
        while (!serverFrames(reply).frames.some((f) => f.payload.toString().startsWith("44"))) {
          if (!(await ws.wait(5_000))) throw new Error("the upgraded session did not answer");
          reply = Buffer.concat([reply, ws.take()]);
        }
      } finally {
        again.destroy();
        ws.destroy();
      }
    });

    it(`exits within the drain grace (${GRACE_MS} ms) on SIGTERM while a WebSocket client never answers the close handshake`, async () => {
      const stubborn = await StubbornSocketIoClient.connect(port, await devToken(url));
      try {
        const started = Date.now();
        const code = await node.stop("SIGTERM");
        const took = Date.now() - started;
        expect(code, node.output().slice(-2000)).toBe(0);
        expect(took).toBeLessThan(GRACE_MS + 2_000);
        expect(stubborn.frames.some((f) => f.payload.toString().includes("app:draining"))).toBe(true);
        expect(stubborn.closed).toBe(true);
      } finally {
        stubborn.destroy();
      }
    }, 60_000);
  });
}

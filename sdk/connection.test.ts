import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { Connection, handshakeTimeoutMs, type ConnectionHooks } from "./src/connection";
import type { InterlinkedError } from "./src/errors";
import { systemClock } from "./src/token";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => new Promise<void>((r) => void io.close(() => r()))));
});

/**
 * A Socket.IO server (the real library, in this process) that opens an Engine.IO connection `delayMs`
 * after its request (the part of the handshake socket.io-client's `timeout` covers).
 */
async function slowServer(delayMs: number): Promise<string> {
  const http = createServer();
  const io = new Server(http, { allowRequest: (_req, accept) => void setTimeout(() => accept(null, true), delayMs) });
  servers.push(io);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

describe("Connection handshake timeout (sdk/src/connection.ts)", () => {
  it("doubles per handshake that timed out in a row, up to 4× the configured one", () => {
    expect([0, 1, 2, 3, 9].map((n) => handshakeTimeoutMs(1_000, n))).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it("gets through to a server slower than the configured timeout, with temporary 5002 for the timed-out attempts", async () => {
    const url = await slowServer(700);
    const errors: InterlinkedError[] = [];
    let connected = false;
    const hooks: ConnectionHooks = {
      token: () => Promise.resolve("t"),
      canRefreshToken: false,
      event: () => undefined,
      connected: () => void (connected = true),
      disconnected: () => undefined,
      reconnecting: (info) => void (info.error && errors.push(info.error)),
    };
    const c = new Connection({ urls: [url], connectTimeoutMs: 300, minDelayMs: 10, maxDelayMs: 20 }, hooks, systemClock);
    c.start();
    const deadline = Date.now() + 8_000;
    while (!connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    c.close();
    // 300 ms and 600 ms time out; the third attempt waits 1,200 ms and is answered after 700 ms
    expect(connected).toBe(true);
    expect(errors.map((e) => [e.code, e.temporary])).toEqual([
      [5002, true],
      [5002, true],
    ]);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectAdmission } from "./connect-admission";
import type { RealtimeServer, RealtimeSocket } from "./types";

/**
 * A real Socket.IO server on a loopback port whose root namespace's setup waits until the test lets it
 * finish (`finish`), so connections stay "being set up" as long as the test wants.
 */
async function serverWith(maxPending: number, maxWaitMs = 0, now?: () => number) {
  const admission = new ConnectAdmission({ maxPending, maxWaitMs }, undefined, now);
  const http = createServer();
  const io: RealtimeServer = new Server({ allowRequest: admission.allowRequest });
  admission.watch(io); // before attach, as the node does
  io.attach(http);
  const waiting: Array<() => void> = [];
  io.use((socket, next) => {
    if (socket.handshake.auth.refuse === true) return next(new Error("refused"));
    if (socket.handshake.auth.slow === true) waiting.push(() => next());
    else next();
  });
  io.on("connection", (socket: RealtimeSocket) => admission.settled(socket.conn));
  io.of("/other").on("connection", () => undefined);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    admission,
    url,
    finish: () => waiting.splice(0).forEach((go) => go()),
    close: () => new Promise<void>((r) => void io.close(() => r())),
  };
}

const clients: ClientSocket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** Connects a client (WebSocket only, no reconnection): resolves "connected" or the connect_error's message. */
function connect(url: string, auth: Record<string, unknown> = {}, nsp = "/"): { socket: ClientSocket; outcome: Promise<string> } {
  const socket = connectClient(url + nsp, { transports: ["websocket"], reconnection: false, auth, forceNew: true });
  clients.push(socket);
  const outcome = new Promise<string>((resolve) => {
    socket.once("connect", () => resolve("connected"));
    socket.once("connect_error", (err) => resolve(err.message));
  });
  return { socket, outcome };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("ConnectAdmission: connections being set up at once", () => {
  it("refuses a handshake beyond the limit at once, and admits again when a setup ends", async () => {
    const server = await serverWith(2);
    try {
      const [a, b] = [connect(server.url, { slow: true }), connect(server.url, { slow: true })];
      await until(() => server.admission.inFlight === 2);
      // the third is refused at the Engine.IO handshake (HTTP 403), before any middleware
      expect(await connect(server.url).outcome).toBe("websocket error");
      expect(server.admission.refused).toBe(1);
      server.finish();
      expect([await a.outcome, await b.outcome]).toEqual(["connected", "connected"]);
      expect(server.admission.inFlight).toBe(0);
      expect(await connect(server.url).outcome).toBe("connected");
      expect(server.admission.inFlight).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("a connection a middleware refuses, one that closes while set up, and one on another namespace each free their place", async () => {
    const server = await serverWith(1);
    try {
      // refused by the middleware: the client stays connected at the Engine.IO level, yet its place is free
      expect(await connect(server.url, { refuse: true }).outcome).toBe("refused");
      expect(server.admission.inFlight).toBe(0);
      // closed while its setup waits
      const slow = connect(server.url, { slow: true });
      await until(() => server.admission.inFlight === 1);
      slow.socket.close();
      await until(() => server.admission.inFlight === 0);
      // another namespace's setup ends at its connection
      expect(await connect(server.url, {}, "/other").outcome).toBe("connected");
      expect(server.admission.inFlight).toBe(0);
      expect(server.admission.refused).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("refuses while the oldest connection still being set up has waited past the limit, however few they are", async () => {
    let clock = 0;
    const server = await serverWith(0, 5_000, () => clock);
    try {
      const slow = connect(server.url, { slow: true });
      await until(() => server.admission.inFlight === 1);
      clock = 4_000; // behind, but within the limit: admitted
      expect(await connect(server.url).outcome).toBe("connected");
      clock = 5_001; // the slow one has waited past it: the node is behind, refused
      expect(await connect(server.url).outcome).toBe("websocket error");
      expect(server.admission.oldestWaitMs()).toBe(5_001);
      server.finish(); // its setup ends: nothing old is waiting, admitted again
      expect(await slow.outcome).toBe("connected");
      expect(await connect(server.url).outcome).toBe("connected");
      expect(server.admission.refused).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("0 turns it off: nothing counted, nothing refused", async () => {
    const server = await serverWith(0);
    try {
      const slow = [connect(server.url, { slow: true }), connect(server.url, { slow: true })];
      expect(await connect(server.url).outcome).toBe("connected");
      expect(server.admission.inFlight).toBe(0);
      server.finish();
      expect(await Promise.all(slow.map((c) => c.outcome))).toEqual(["connected", "connected"]);
    } finally {
      await server.close();
    }
  });
});

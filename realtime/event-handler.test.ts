import { defaultLogger } from "../core/log";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCode, type ErrorBody } from "../core/errors";
import { createMetrics } from "../core/metrics/registry";
import { EventDispatcher, SocketRate, lazySocketDispatch } from "./event-handler";
import type { RealtimeSocket } from "./types";

const schemas = {
  "t:echo": z.object({ n: z.number().int() }).strict(),
  "t:quiet": z.object({}).strict(),
} as const;
type Acks = { "t:echo": { n: number }; "t:quiet": object };

const metrics = createMetrics("dispatch-test");
const httpServer = createServer();
const server = new Server(httpServer);
let url = "";
const order: string[] = [];

beforeAll(async () => {
  server.on("connection", (raw) => {
    const socket = raw as unknown as RealtimeSocket;
    let release = (): void => undefined;
    socket.data.ready = new Promise<void>((resolve) => (release = resolve));
    const dispatcher = new EventDispatcher<typeof schemas, Acks>(socket, schemas, { rate: new SocketRate(5), metrics, log: defaultLogger() });
    dispatcher.on("t:echo", async ({ n }) => {
      order.push(`echo ${n}`);
      return { n: n * 2 };
    });
    // "t:quiet" is known but has no handler here: it is ignored, not answered with 1002.
    setTimeout(() => {
      order.push("ready");
      release();
    }, 50);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => void server.close(() => resolve()));
});

async function client(): Promise<ClientSocket> {
  const socket = connect(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("connect_error", reject));
  return socket;
}

const ack = (socket: ClientSocket, event: string, payload: unknown): Promise<{ n?: number; error?: ErrorBody }> => socket.timeout(2_000).emitWithAck(event, payload);

describe("EventDispatcher (the dispatch of / and /class)", () => {
  it("waits for the connection's setup, validates, acks the handler's result, and answers failures with codes", async () => {
    const socket = await client();
    expect(await ack(socket, "t:echo", { n: 2 })).toEqual({ n: 4 });
    expect(order).toEqual(["ready", "echo 2"]);
    expect((await ack(socket, "t:echo", { n: "x" })).error?.code).toBe(ErrorCode.InvalidPayload);
    expect((await ack(socket, "t:nope", {})).error).toEqual({ code: ErrorCode.UnknownEvent, message: 'unknown event "t:nope"' });
    const pushed = new Promise<unknown>((resolve) => socket.once("app:error", resolve));
    socket.emit("t:other", {});
    expect(await pushed).toEqual({ event: "t:other", error: { code: ErrorCode.UnknownEvent, message: 'unknown event "t:other"' } });
    socket.emit("t:quiet", {});
    expect(await ack(socket, "t:echo", { n: 1 })).toEqual({ n: 2 });
    socket.close();
  });

  it("refuses events past the socket's rate with 3003 and counts them as quota refusals", async () => {
    const socket = await client();
    const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => ack(socket, "t:echo", { n: i }).then((r) => r.error?.code ?? 0)));
    expect(codes.filter((c) => c === 0)).toHaveLength(5);
    expect(codes.filter((c) => c === ErrorCode.SocketRate)).toHaveLength(3);
    const refusals = (await metrics.quotaRefusals.get()).values.find((v) => v.labels.quota === String(ErrorCode.SocketRate));
    expect(refusals?.value).toBe(3);
    socket.close();
  });
});

describe("lazySocketDispatch", () => {
  it("builds a socket's dispatch once, at its first event, and keeps it out of socket.data (fetchSockets sends that as JSON)", () => {
    const seen: string[] = [];
    let built = 0;
    // a real dispatch holds the socket, its namespace and its server: a circular structure
    const server: { sockets: { server?: unknown } } = { sockets: {} };
    server.sockets.server = server;
    const listener = lazySocketDispatch(() => {
      built++;
      return { server, dispatch: (event: string) => void seen.push(event) };
    });
    const socket = { data: { principal: { tenant: "t", user: "u" } } } as unknown as RealtimeSocket;
    listener.call(socket, "a", []);
    listener.call(socket, "b", []);
    expect(built).toBe(1);
    expect(seen).toEqual(["a", "b"]);
    expect(JSON.parse(JSON.stringify(socket.data))).toEqual({ principal: { tenant: "t", user: "u" } });
  });
});

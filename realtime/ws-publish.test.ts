import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BroadcastTarget } from "./socketio-internals";
import { WsFanout, textFrame, useWsPublish } from "./ws-publish";

/** A recipient on a WebSocket whose TCP writes are recorded; `queued` packets waiting in Engine.IO. */
function target(queued = 0): { t: BroadcastTarget; writes: string[]; engine: string[] } {
  const writes: string[] = [];
  const engine: string[] = [];
  const stream = { write: (b: Buffer) => (writes.push(b.toString("latin1")), true), writableNeedDrain: false, destroyed: false };
  const t = {
    conn: { readyState: "open", writeBuffer: new Array<unknown>(queued), transport: { name: "websocket", socket: { readyState: 1, _sender: {}, _socket: stream } } },
    client: { writeToEngine: (encoded: string[]) => void engine.push(...encoded) },
  } as unknown as BroadcastTarget;
  return { t, writes, engine };
}
const frameOf = (text: string) => textFrame(`4${text}`);

describe("WsFanout (ws engine broadcast)", () => {
  afterEach(() => vi.useRealTimers());

  it("frames a packet once and writes it straight to each recipient while the node is quiet", () => {
    const a = target();
    const b = target();
    const fanout = new WsFanout(50);
    fanout.broadcast(frameOf("m1"), ["m1"], [a.t, b.t], false);
    expect(a.writes).toEqual([frameOf("m1").toString("latin1")]);
    expect(b.writes).toEqual(a.writes);
  });

  it("under load gives each recipient the window's frames in one write, in order, only those it is a recipient of", () => {
    vi.useFakeTimers();
    const many = Array.from({ length: 2_000 }, () => target());
    const fanout = new WsFanout(50);
    const all = many.map((m) => m.t);
    fanout.broadcast(frameOf("a"), ["a"], all, false); // 2,000 recent deliveries: at once
    fanout.broadcast(frameOf("b"), ["b"], all, false);
    fanout.broadcast(frameOf("c"), ["c"], all, false); // 6,000: the window is open
    fanout.broadcast(frameOf("d"), ["d"], all.slice(1), false); // the first one is d's sender
    expect(many[0]!.writes).toHaveLength(2);
    vi.advanceTimersByTime(50);
    const [ab, c, d] = [frameOf("a"), frameOf("c"), frameOf("d")].map((f) => f.toString("latin1"));
    expect(many[0]!.writes.slice(2)).toEqual([c]);
    expect(many[1]!.writes.slice(2)).toEqual([c! + d!]);
    expect(many[1]!.writes[0]).toBe(ab);
  });

  it("sends through Engine.IO, in order, to a socket with packets still queued there", () => {
    const q = target(1);
    new WsFanout(0).broadcast(frameOf("x"), ["x"], [q.t], false);
    expect(q.writes).toEqual([]);
    expect(q.engine).toEqual(["x"]);
  });

  it("frames lengths past 125 and 65,535 bytes with the extended length fields", () => {
    expect([...textFrame("x".repeat(125)).subarray(0, 2)]).toEqual([0x81, 125]);
    expect([...textFrame("x".repeat(300)).subarray(0, 4)]).toEqual([0x81, 126, 1, 44]);
    const big = textFrame("x".repeat(70_000));
    expect(big[1]).toBe(127);
    expect(Number(big.readBigUInt64BE(2))).toBe(70_000);
    expect(big.length).toBe(70_010);
  });
});

describe("useWsPublish on a real Socket.IO server (ws engine)", () => {
  it("delivers room broadcasts to every member but the sender, in order with the sender's acks", async () => {
    const http = createServer();
    const io = new Server(http);
    useWsPublish(io, 50);
    io.on("connection", (s) => {
      void s.join("room");
      s.on("say", (text: string, ack: (r: string) => void) => {
        s.to("room").emit("said", text);
        ack(text);
      });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const clients: ClientSocket[] = await Promise.all(
      Array.from({ length: 3 }, () => new Promise<ClientSocket>((resolve) => {
        const c = connect(url, { transports: ["websocket"] });
        c.once("connect", () => resolve(c));
      })),
    );
    try {
      const got = clients.map(() => [] as string[]);
      clients.forEach((c, i) => c.on("said", (t: string) => got[i]!.push(t)));
      for (let k = 0; k < 20; k++) expect(await clients[0]!.emitWithAck("say", `m${k}`)).toBe(`m${k}`);
      await vi.waitFor(() => expect(got[2]).toHaveLength(20));
      expect(got[0]).toEqual([]);
      expect(got[1]).toEqual(Array.from({ length: 20 }, (_, k) => `m${k}`));
      expect(got[2]).toEqual(got[1]);
    } finally {
      clients.forEach((c) => c.disconnect());
      await new Promise<void>((r) => void io.close(() => r()));
    }
  });
});

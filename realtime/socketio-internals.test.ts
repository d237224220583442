import { describe, expect, it } from "vitest";
import { bufferedBytes } from "./socketio-internals";
import type { RealtimeSocket } from "./types";

const socketWith = (transportSocket: object, writeBuffer: Array<{ data?: string }> = []): RealtimeSocket =>
  ({ conn: { transport: { name: "websocket", socket: transportSocket }, writeBuffer } }) as unknown as RealtimeSocket;

describe("bufferedBytes", () => {
  it("counts the transport's buffer (ws or uWS) and the packets Engine.IO holds back", () => {
    expect(bufferedBytes(socketWith({ bufferedAmount: 100 }, [{ data: "abcd" }]))).toBe(104);
    expect(bufferedBytes(socketWith({ getBufferedAmount: () => 50 }))).toBe(50);
  });

  it("answers 0 for a uWS socket closed since it was listed, instead of throwing (the maintenance beat failed on it)", () => {
    const closed = socketWith(
      {
        getBufferedAmount: () => {
          throw new Error("Invalid access of closed uWS.WebSocket/SSLWebSocket.");
        },
      },
      [{ data: "held" }],
    );
    expect(bufferedBytes(closed)).toBe(0);
  });
});

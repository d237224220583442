import { describe, expect, it } from "vitest";
import { AppError, ErrorCode as CoreErrorCode, type ErrorCodeValue } from "../core/errors";
import { ErrorCode, TEMPORARY_CODES, codeName } from "./src/codes";
import { InterlinkedError, fromErrorBody, isErrorBody, isInterlinkedError, toInterlinkedError } from "./src/errors";
import { request } from "./src/request";

describe("SDK errors (sdk/src/errors.ts, codes.ts)", () => {
  it("has the server's code table and marks exactly the server's temporary codes", () => {
    expect(ErrorCode).toEqual(CoreErrorCode);
    for (const code of Object.values(CoreErrorCode)) {
      expect(TEMPORARY_CODES.has(code)).toBe(new AppError(code as ErrorCodeValue, "x").temporary);
    }
    expect(codeName(1004)).toBe("InvalidRoomName");
    expect(codeName(9999)).toBeUndefined();
  });

  it("maps server bodies, handshake refusals, ack timeouts and disconnects to numbered errors", () => {
    const body = new AppError(CoreErrorCode.Overloaded, "busy").toBody();
    const e = fromErrorBody(body, { event: "room:message" });
    expect(e).toBeInstanceOf(InterlinkedError);
    expect(e).toMatchObject({ code: 5005, temporary: true, event: "room:message", message: "busy", codeName: "Overloaded" });
    expect(fromErrorBody({ code: 1004, message: "bad room" })).toMatchObject({ code: 1004, temporary: false });
    expect(fromErrorBody({ code: 3003, message: "slow down" }).retryAfterMs).toBe(1_000);
    // the server's own wait, when it says one (a node over capacity)
    expect(fromErrorBody(new AppError(CoreErrorCode.Overloaded, "busy", { retryAfterMs: 4_000 }).toBody()).retryAfterMs).toBe(4_000);
    expect(fromErrorBody({ code: 5005, message: "busy", temporary: true, retryAfterMs: -1 }).retryAfterMs).toBeUndefined();
    const handshake = Object.assign(new Error("token expired"), { data: { code: 2002, message: "token expired" } });
    expect(toInterlinkedError(handshake, "connect")).toMatchObject({ code: 2002, temporary: false, event: "connect" });
    expect(toInterlinkedError(new Error("operation has timed out"), "room:join")).toMatchObject({ code: 5002, temporary: true });
    expect(toInterlinkedError(new Error("socket has been disconnected"), "room:join")).toMatchObject({ code: 5001, temporary: true });
    expect(toInterlinkedError("weird")).toMatchObject({ code: 5000, temporary: false });
    // socket.io-client's own handshake failures are temporary: the reconnect loop retries them
    expect(toInterlinkedError(new Error("timeout"), "connect")).toMatchObject({ code: 5002, temporary: true, event: "connect" });
    expect(toInterlinkedError(new Error("websocket error"), "connect")).toMatchObject({ code: 5001, temporary: true, event: "connect" });
    expect(isErrorBody({ code: 1, message: "m" })).toBe(true);
    expect(isErrorBody({ code: "1", message: "m" })).toBe(false);
  });

  it("recognises InterlinkedErrors from another copy of the SDK by shape", () => {
    const foreign = Object.assign(new Error("x"), { name: "InterlinkedError", code: 4001, temporary: false });
    expect(isInterlinkedError(foreign)).toBe(true);
    expect(isInterlinkedError(new Error("x"))).toBe(false);
    expect(isInterlinkedError({ name: "InterlinkedError", code: 1, temporary: false })).toBe(false);
  });

  it("request() resolves acks and throws the ack's error, fails fast when asked while disconnected", async () => {
    const socket = (answer: unknown, connected = true) => ({
      connected,
      timeout: () => ({ emitWithAck: async () => answer }),
    });
    expect(await request<{ "room:leave": { room: string } }, "room:leave">(socket({ room: "r" }), "room:leave", { room: "r" })).toEqual({ room: "r" });
    await expect(request(socket({ error: { code: 4001, message: "join first" } }), "room:typing", {})).rejects.toMatchObject({ code: 4001, event: "room:typing" });
    await expect(request(socket({ error: "nonsense" }), "x", {})).rejects.toMatchObject({ code: 5000 });
    await expect(request(socket({}, false), "x", {}, { whenDisconnected: "fail" })).rejects.toMatchObject({ code: 5001, temporary: true });
    const timingOut = { connected: true, timeout: () => ({ emitWithAck: () => Promise.reject(new Error("operation has timed out")) }) };
    await expect(request(timingOut, "room:join", {})).rejects.toMatchObject({ code: 5002, temporary: true });
  });
});

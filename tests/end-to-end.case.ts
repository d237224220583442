import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { RoomMessageDelivery } from "../core/events";
import { connectClient, emitWithAck, eventually, nextEvent, recordEvents, type TestClient } from "./support/clients";
import { mintToken, type Deployment } from "./support/nodes";

interface History {
  room: string;
  messages: Array<{ id: string; seq: number; user: string; text: string; sentAt: string }>;
}

async function history(url: string, token: string, room: string, query = ""): Promise<History> {
  const res = await fetch(`${url}/v1/rooms/${room}/messages${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as History;
}

/**
 * The end-to-end path of a room message, run against every deployment mode: socket → bus → worker →
 * database → REST, tenant isolation, and numbered errors for bad input on the socket and the API.
 */
export function runEndToEndContract(mode: string, start: () => Promise<Deployment>): void {
  describe(`end to end (socket → bus → worker → database → API): ${mode}`, () => {
    let deployment: Deployment;
    let urlA: string;
    let urlB: string;
    const clients: TestClient[] = [];
    const connect = async (url: string, tenant: string, user: string): Promise<TestClient> => {
      const client = await connectClient(url, await mintToken(tenant, user));
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      deployment = await start();
      const nodes = deployment.nodes;
      urlA = (nodes[0] ?? expect.fail("no node")).url;
      urlB = (nodes[nodes.length - 1] ?? expect.fail("no node")).url;
    }, 60_000);
    afterAll(async () => {
      clients.forEach((c) => c.close());
      await deployment?.close();
    });

    it("delivers a room message to the other members of its tenant only, and persists it once", async () => {
      const alice = await connect(urlA, "school-a", "alice");
      const bob = await connect(urlB, "school-a", "bob");
      const mallory = await connect(urlB, "school-b", "mallory");
      for (const c of [alice, bob, mallory]) expect(await emitWithAck(c, "room:join", { room: "math-101" })).toMatchObject({ room: "math-101", members: expect.any(Array) });
      const leaked = recordEvents<RoomMessageDelivery>(mallory, "room:message");
      const echoed = recordEvents<RoomMessageDelivery>(alice, "room:message");

      const received = nextEvent<RoomMessageDelivery>(bob, "room:message");
      const ack = (await emitWithAck(alice, "room:message", { room: "math-101", text: "hello" })) as { id: string; seq: number };
      expect(ack).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), seq: 1 });
      expect(await received).toEqual({ room: "math-101", id: ack.id, seq: 1, user: "alice", text: "hello", sentAt: expect.any(String) });

      const acks: Array<{ seq: number }> = [];
      for (const text of ["two", "three", "four"]) acks.push((await emitWithAck(bob, "room:message", { room: "math-101", text })) as { seq: number });
      expect(acks.map((a) => a.seq)).toEqual([2, 3, 4]);

      // mallory's own room of the same name is separate: her message starts at seq 1 and reaches no one of school-a
      expect(await emitWithAck(mallory, "room:message", { room: "math-101", text: "from b" })).toMatchObject({ seq: 1 });

      const tokenA = await mintToken("school-a", "reader");
      const rows = await eventually(() => history(urlA, tokenA, "math-101"), (h) => h.messages.length >= 4);
      expect(rows.messages.map((m) => [m.seq, m.user, m.text])).toEqual([
        [1, "alice", "hello"],
        [2, "bob", "two"],
        [3, "bob", "three"],
        [4, "bob", "four"],
      ]);
      expect(rows.messages[0]?.id).toBe(ack.id);
      // persisted exactly once: the history holds no duplicate even after everything settled
      await new Promise((r) => setTimeout(r, 500));
      expect((await history(urlB, tokenA, "math-101")).messages).toHaveLength(4);
      expect((await history(urlA, tokenA, "math-101", "?after=2&limit=1")).messages.map((m) => m.seq)).toEqual([3]);

      const tokenB = await mintToken("school-b", "reader");
      expect((await history(urlB, tokenB, "math-101")).messages.map((m) => m.text)).toEqual(["from b"]);
      expect(leaked).toEqual([]);
      expect(echoed.map((m) => m.seq)).toEqual([2, 3, 4]);
    });

    it("refuses connections without a valid token with numbered errors", async () => {
      const refusal = async (token: unknown): Promise<unknown> => {
        const err = await connectClient(urlA, token).then(
          (c) => {
            c.close();
            return undefined;
          },
          (e: Error & { data?: unknown }) => e.data,
        );
        return err;
      };
      expect(await refusal(undefined)).toMatchObject({ code: ErrorCode.Unauthorized });
      expect(await refusal("not-a-jwt")).toMatchObject({ code: ErrorCode.TokenInvalid });
      expect(await refusal(await mintToken("school-a", "late", "student", -10))).toMatchObject({ code: ErrorCode.TokenExpired });
      const forged = (await mintToken("school-a", "eve")).slice(0, -4) + "AAAA";
      expect(await refusal(forged)).toMatchObject({ code: ErrorCode.TokenInvalid });
    });

    it("answers bad input with numbered errors and keeps serving", async () => {
      const client = await connect(urlA, "school-a", "carol");
      const errorOf = async (event: string, ...args: unknown[]): Promise<number | undefined> =>
        ((await emitWithAck(client, event, ...args)) as { error?: { code: number } }).error?.code;

      expect(await errorOf("room:join", "math-101")).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:join", {})).toBe(ErrorCode.InvalidRoomName);
      expect(await errorOf("room:join", { room: 42 })).toBe(ErrorCode.InvalidRoomName);
      expect(await errorOf("room:join", null)).toBe(ErrorCode.InvalidPayload);
      for (const room of ["", "a:b", "../x", "t:school-b:room:math-101", "x".repeat(65), "spa ce"]) {
        expect(await errorOf("room:join", { room })).toBe(ErrorCode.InvalidRoomName);
      }
      expect(await errorOf("room:join", { room: "ok", extra: true })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:message", { room: "math-101", text: "not joined" })).toBe(ErrorCode.NotInRoom);
      expect(await errorOf("room:join", { room: "math-101" })).toBeUndefined();
      expect(await errorOf("room:message", { room: "math-101" })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:message", { room: "math-101", text: 7 })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:message", { room: "math-101", text: "" })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:message", { room: "math-101", text: "x".repeat(200 * 1024) })).toBe(ErrorCode.PayloadTooLarge);
      expect(await errorOf("no:such:event", { room: "math-101" })).toBe(ErrorCode.UnknownEvent);

      const appError = nextEvent<{ event: string; error: { code: number } }>(client, "app:error");
      // sent without an ack callback on purpose: the error must come back as `app:error`
      (client as unknown as { emit(event: string, payload: unknown): void }).emit("room:join", { room: "bad:name" });
      expect(await appError).toEqual({ event: "room:join", error: { code: ErrorCode.InvalidRoomName, message: expect.any(String) } });

      expect(await emitWithAck(client, "room:message", { room: "math-101", text: "still serving" })).toMatchObject({ seq: expect.any(Number) });
      expect(client.connected).toBe(true);
    });

    it("answers bad API requests with numbered errors", async () => {
      const token = await mintToken("school-a", "dave");
      const get = async (path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
        const res = await fetch(`${urlA}${path}`, { headers });
        return { status: res.status, body: (await res.json()) as { error?: { code: number } } };
      };
      expect(await get("/v1/rooms/math-101/messages", {})).toMatchObject({ status: 401, body: { error: { code: ErrorCode.Unauthorized } } });
      expect(await get("/v1/rooms/math-101/messages", { authorization: "Bearer nope" })).toMatchObject({ status: 401, body: { error: { code: ErrorCode.TokenInvalid } } });
      expect(await get("/v1/rooms/a%3Ab/messages")).toMatchObject({ status: 400, body: { error: { code: ErrorCode.InvalidRoomName } } });
      expect(await get("/v1/rooms/math-101/messages?limit=0")).toMatchObject({ status: 400, body: { error: { code: ErrorCode.InvalidPayload } } });
      expect(await get("/v1/rooms/math-101/messages?room=other")).toMatchObject({ status: 200, body: { room: "math-101" } });
      expect(await get("/v1/nowhere")).toMatchObject({ status: 404, body: { error: { code: ErrorCode.NotFoundRoute } } });
    });
  });
}

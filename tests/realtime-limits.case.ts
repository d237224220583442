import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ErrorCode } from "../core/errors";
import { inbound } from "../core/events";
import { connectClient, eventually, nextEvent } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, scrape, type Deployment } from "./support/nodes";
import { ack, clientPool, freshTenant, sleep } from "./support/realtime";


/** Quotas, token expiry, tenant isolation for every event, bad input and slow consumers on a 3-node cluster. */
export function runRealtimeLimits(engine: string, start: () => Promise<Deployment & { namespace: string }>): void {
  describe(`realtime limits on 3 nodes (${engine})`, () => {
    let deployment: Deployment & { namespace: string };
    const pool = clientPool(() => deployment);
    beforeAll(async () => {
      deployment = await start();
    }, 90_000);
    afterEach(() => pool.closeAll());
    afterAll(async () => deployment?.close());
    const url = (i: number): string => (deployment.nodes[i % deployment.nodes.length] as { url: string }).url;
    const setQuotas = async (tenant: string, quotas: Record<string, number>) => {
      const res = await (await apiAs(url(0), "platform", "root", "super_admin")).put(`/v1/tenants/${tenant}/quotas`, quotas);
      expect(res.status).toBe(200);
    };

    it("admits exactly the connection quota in a storm of 5× across nodes, warns at 80 %, frees slots on disconnect", async () => {
      const t = freshTenant("storm");
      await setQuotas(t, { maxConnections: 5, overflowGraceSeconds: 0 }); // exact quota: no overflow grace (tests/quota-grace)
      const token = await mintToken(t, "kid");
      const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => connectClient(url(i), token)));
      const admitted = results.flatMap((r) => (r.status === "fulfilled" ? [pool.track(r.value)] : []));
      const refused = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { data?: { code: number } }).data?.code] : []));
      expect(admitted).toHaveLength(5);
      expect(refused).toEqual(Array(20).fill(ErrorCode.ConnectionQuota));
      const usage = await (await apiAs(url(2), "platform", "root", "super_admin")).get<{ now: { connections: number } }>(`/v1/tenants/${t}/usage`);
      expect(usage.body.now.connections).toBe(5);
      admitted[0]?.close();
      await eventually(
        () => connectClient(url(1), token).then((c) => pool.track(c), () => undefined),
        (c) => c !== undefined,
      );
      const t2 = freshTenant("warn");
      await setQuotas(t2, { maxConnections: 5 });
      for (let i = 0; i < 3; i++) await pool.connect(i, t2, `u${i}`);
      const { io } = await import("socket.io-client");
      const fourth = pool.track(io(url(0), { auth: { token: await mintToken(t2, "u3") }, transports: ["websocket"], reconnection: false, forceNew: true }));
      expect(await nextEvent(fourth, "quota:warning")).toEqual({ quota: "connections", used: 4, limit: 5 });
    });

    it("refuses messages over the tenant's rate, payload and the per-socket event rate with codes", async () => {
      const t = freshTenant("rate");
      await setQuotas(t, { maxMessagesPerSecond: 5, maxPayloadBytes: 100, overflowGraceSeconds: 0 });
      const a = await pool.connect(0, t, "a");
      const b = await pool.connect(1, t, "b");
      await ack(a, "room:join", { room: "r" });
      await ack(b, "room:join", { room: "r" });
      // whichever socket's message crosses 80 % (4 of 5) is warned
      const warned = Promise.any([nextEvent<{ quota: string }>(a, "quota:warning"), nextEvent<{ quota: string }>(b, "quota:warning")]);
      const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => ack(i % 2 ? a : b, "room:message", { room: "r", text: `m${i}` }).then((r) => r.error?.code ?? 0)));
      expect(codes.filter((c) => c === 0)).toHaveLength(5);
      expect(codes.filter((c) => c === ErrorCode.MessageRate)).toHaveLength(3);
      expect((await warned).quota).toBe("messagesPerSecond");
      await sleep(1_100);
      expect((await ack(a, "room:message", { room: "r", text: "x".repeat(101) })).error?.code).toBe(ErrorCode.PayloadTooLarge);
      const flood = await Promise.all(Array.from({ length: 60 }, () => ack(b, "presence:query", { users: ["a"] }).then((r) => r.error?.code ?? 0)));
      expect(flood.filter((c) => c === ErrorCode.SocketRate).length).toBeGreaterThanOrEqual(10);
      await sleep(1_100);
      expect(await ack(b, "presence:query", { users: ["a"] })).toEqual({ statuses: { a: "online" } });
    });

    it("disconnects a live socket with 2002 when its token expires, and keeps one that refreshed", async () => {
      const t = freshTenant("exp");
      const expiring = await pool.connect(0, t, "short", "student", 2);
      const refreshed = await pool.connect(1, t, "long", "student", 2);
      const told = nextEvent<{ code: number }>(expiring, "app:disconnect", 5_000);
      const gone = nextEvent<string>(expiring, "disconnect", 5_000);
      expect(await ack(refreshed, "auth:refresh", { token: await mintToken(t, "long", "student", 60) })).toMatchObject({ exp: expect.any(Number) });
      expect((await ack(refreshed, "auth:refresh", { token: await mintToken(t, "someone-else", "student", 60) })).error?.code).toBe(ErrorCode.Forbidden);
      expect((await ack(refreshed, "auth:refresh", { token: "garbage" })).error?.code).toBe(ErrorCode.TokenInvalid);
      expect((await told).code).toBe(ErrorCode.TokenExpired);
      expect(await gone).toBe("io server disconnect");
      await sleep(500);
      expect(refreshed.connected).toBe(true);
    });

    it("never lets one school reach another's data through any event", async () => {
      const [A, B] = [freshTenant("sch-a"), freshTenant("sch-b")];
      const teacherA = await apiAs(url(0), A, "ta", "teacher");
      await teacherA.post("/v1/rooms", { room: "secret", title: "A only", private: true });
      await teacherA.post("/v1/feeds", { feed: "a-news", kind: "announcements", title: "A" });
      const conv = (await teacherA.post<{ id: string }>("/v1/conversations", { kind: "direct", user: "sa" })).body.id;
      const ta = await pool.connect(0, A, "ta", "teacher");
      const sa = await pool.connect(1, A, "sa");
      await ack(ta, "room:join", { room: "secret" });
      await ack(ta, "room:join", { room: "lobby" });
      await ack(sa, "room:join", { room: "lobby" });
      await ack(sa, "presence:subscribe", { users: ["ta"] });
      const aMessage = await ack(ta, "room:message", { room: "lobby", text: "A's message" });
      const leaks: string[] = [];
      for (const c of [ta, sa]) c.onAny((event: string, payload: { user?: string }) => {
        if (payload?.user === "mb" || payload?.user === "tb") leaks.push(`${event}`);
      });

      const mb = await pool.connect(2, B, "mb", "teacher");
      const tb = await pool.connect(1, B, "tb", "teacher");
      expect((await ack(mb, "room:join", { room: "lobby", since: 0 })).messages).toEqual([]);
      expect((await ack(mb, "room:members", { room: "lobby" })).members).toEqual([{ user: "mb", status: "online" }]);
      await ack(mb, "room:message", { room: "lobby", text: "B's message" });
      await ack(mb, "room:typing", { room: "lobby" });
      expect((await ack(mb, "room:join", { room: "secret" })).error).toBeUndefined(); // B's own (unregistered) room of that name
      await ack(mb, "room:mute", { room: "lobby", user: "sa", seconds: 60 });
      await ack(mb, "room:kick", { room: "lobby", user: "sa" });
      await ack(mb, "room:delete", { room: "lobby", id: aMessage.id });
      expect((await ack(mb, "chat:send", { conversationId: conv, text: "hi" })).error?.code).toBe(ErrorCode.NotFound);
      expect((await ack(mb, "chat:receipt", { conversationId: conv, kind: "read", upToSeq: 1 })).error?.code).toBe(ErrorCode.NotFound);
      expect((await ack(mb, "chat:typing", { conversationId: conv })).error?.code).toBe(ErrorCode.NotFound);
      expect((await ack(mb, "chat:sync", { conversationId: conv, since: 0 })).error?.code).toBe(ErrorCode.NotFound);
      expect(await ack(mb, "presence:query", { users: ["ta", "sa"] })).toEqual({ statuses: { ta: "offline", sa: "offline" } });
      expect(await ack(mb, "presence:subscribe", { users: ["ta"] })).toEqual({ statuses: { ta: "offline" } });
      await ack(tb, "presence:set", { status: "away" });
      expect((await ack(mb, "feed:subscribe", { feed: "a-news" })).error?.code).toBe(ErrorCode.NotFound);
      expect(await ack(mb, "feed:unsubscribe", { feed: "a-news" })).toEqual({ feed: "a-news" }); // B's own (absent) subscription
      expect(await ack(mb, "presence:unsubscribe", { users: ["ta"] })).toEqual({ users: ["ta"] });
      await ack(mb, "room:unmute", { room: "lobby", user: "sa" });
      // a token of school A for a user of the same name does not let B's socket switch schools
      expect((await ack(mb, "auth:refresh", { token: await mintToken(A, "mb", "teacher", 60) })).error?.code).toBe(ErrorCode.Forbidden);
      expect(await ack(mb, "notification:read", { all: true })).toEqual({ marked: 0 });
      await ack(mb, "room:leave", { room: "lobby" });

      // A's side is untouched: sa still talks in the lobby, nothing of B arrived, A's message is still there
      expect(await ack(sa, "room:message", { room: "lobby", text: "still here" })).toMatchObject({ seq: expect.any(Number) });
      await sleep(500);
      expect(leaks).toEqual([]);
      const history = await eventually(
        () => teacherA.get<{ messages: Array<{ text: string; deleted: boolean }> }>("/v1/rooms/lobby/messages"),
        (r) => r.body.messages?.length === 2,
      );
      expect(history.body.messages.map((m) => [m.text, m.deleted])).toEqual([["A's message", false], ["still here", false]]);
    });

    it("answers bad input on every event with numbered errors and keeps serving", async () => {
      const t = freshTenant("bad");
      const c = await pool.connect(0, t, "u", "teacher");
      const errorOf = async (event: string, payload: unknown) => (await ack(c, event, payload)).error?.code;
      for (const event of Object.keys(inbound)) {
        await sleep(120); // five events each: stay under the per-socket event rate (50/s)
        for (const payload of [null, 42, "text", [], { unexpected: true }]) {
          expect([event, await errorOf(event, payload)]).toEqual([event, expect.toSatisfy((code: number) => code === ErrorCode.InvalidPayload || code === ErrorCode.InvalidRoomName)]);
        }
      }
      expect(await errorOf("room:join", { room: "a:b" })).toBe(ErrorCode.InvalidRoomName);
      expect(await errorOf("room:join", { room: "ok", since: -1 })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("chat:send", { conversationId: "nope", text: "x" })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("presence:query", { users: Array(501).fill("u") })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:mute", { room: "r", user: "x", seconds: 0 })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("nope:event", {})).toBe(ErrorCode.UnknownEvent);
      await ack(c, "room:join", { room: "r" });
      expect(await errorOf("room:message", { room: "r", text: "x".repeat(200 * 1024) })).toBe(ErrorCode.PayloadTooLarge);
      // what no store would keep is refused at the door, not acked (core/storable.ts)
      expect(await errorOf("room:message", { room: "r", text: "nul \u0000 inside" })).toBe(ErrorCode.InvalidPayload);
      expect(await errorOf("room:message", { room: "r", text: "lone \ud800 surrogate" })).toBe(ErrorCode.InvalidPayload);
      await sleep(1_100);
      // a connection watches at most MAX_PRESENCE_SUBSCRIPTIONS users, however it asks
      const users = (from: number) => Array.from({ length: 500 }, (_, i) => `w${from + i}`);
      expect(await ack(c, "presence:subscribe", { users: users(0) })).not.toHaveProperty("error");
      expect(await ack(c, "presence:subscribe", { users: users(500) })).not.toHaveProperty("error");
      expect(await ack(c, "presence:subscribe", { users: users(0) })).not.toHaveProperty("error"); // already watched: nothing added
      expect(await errorOf("presence:subscribe", { users: users(1_000) })).toBe(ErrorCode.TooManySubscriptions);
      await ack(c, "presence:unsubscribe", { users: users(0) });
      expect(await ack(c, "presence:subscribe", { users: users(1_000) })).not.toHaveProperty("error");
      await sleep(1_100);
      expect(await ack(c, "room:message", { room: "r", text: "still serving" })).toMatchObject({ seq: 1 });
    });

    it("disconnects a slow consumer whose send buffer passes the bound, and it recovers on reconnect", async () => {
      const t = freshTenant("slow");
      const token = await mintToken(t, "slowpoke");
      const ws = new WebSocket(`${url(0).replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
      const frames: string[] = [];
      ws.on("message", (d) => frames.push(d.toString()));
      await new Promise((r) => ws.once("open", r));
      ws.send(`40${JSON.stringify({ token })}`);
      await eventually(async () => frames.some((f) => f.startsWith("40")), (ok) => ok);
      ws.send(`420${JSON.stringify(["room:join", { room: "firehose" }])}`);
      await eventually(async () => frames.some((f) => f.startsWith("430")), (ok) => ok);
      const closed = new Promise<void>((r) => ws.once("close", () => r()));
      (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stop reading: the server's buffer fills
      const senders = await Promise.all([0, 1, 2, 3].map((i) => pool.connect(i + 1, t, `s${i}`)));
      for (const s of senders) await ack(s, "room:join", { room: "firehose" });
      const big = "x".repeat(60_000);
      let lastSeq = 0;
      for (let round = 0; round < 40; round++) {
        const acks = await Promise.all(senders.map((s) => ack(s, "room:message", { room: "firehose", text: big })));
        lastSeq = Math.max(lastSeq, ...acks.map((a) => Number(a.seq ?? 0)));
        if (round % 10 === 9) await sleep(1_000);
      }
      (ws as unknown as { _socket: { resume(): void } })._socket.resume();
      await closed; // the server closed it (a client that is never cut off times this test out)
      const metrics = await scrape(url(0));
      expect(Number(/^interlinked_slow_consumer_disconnects_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
      const back = await pool.connect(0, t, "slowpoke");
      const recovered = await ack(back, "room:join", { room: "firehose", since: 0 });
      expect(recovered.recovered).toBe(true);
      expect((recovered.messages as Array<{ seq: number }>).map((m) => m.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    }, 60_000);
  });
}

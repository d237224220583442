import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { ChatMessageDelivery, NotificationDelivery, RoomMessageDelivery } from "../core/events";
import { io } from "socket.io-client";
import { connectClient, eventually, nextEvent, recordEvents, type TestClient } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, type Deployment } from "./support/nodes";
import { ack, clientPool, freshTenant, sleep } from "./support/realtime";
import { serviceEnv } from "./support/services";


/** Rooms, presence, chat, moderation, recovery and notifications against a 3-node cluster. */
export function runRealtimeFeatures(engine: string, start: () => Promise<Deployment & { namespace: string }>): void {
  describe(`realtime features on 3 nodes (${engine})`, () => {
    let deployment: Deployment & { namespace: string };
    const pool = clientPool(() => deployment);
    beforeAll(async () => {
      deployment = await start();
    }, 90_000);
    afterEach(() => pool.closeAll());
    afterAll(async () => deployment?.close());
    const api = (tenant: string, user: string, role: Parameters<typeof apiAs>[3] = "student") => apiAs((deployment.nodes[0] as { url: string }).url, tenant, user, role);

    it("presence: online across nodes until the last socket closes, away, diffs to subscribers and room members", async () => {
      const t = freshTenant("pres");
      const watcher = await pool.connect(0, t, "watcher");
      expect(await ack(watcher, "presence:subscribe", { users: ["ann"] })).toEqual({ statuses: { ann: "offline" } });
      const seen = recordEvents<{ user: string; status: string }>(watcher, "presence");
      const ann1 = await pool.connect(1, t, "ann");
      const ann2 = await pool.connect(2, t, "ann");
      await eventually(async () => seen.map((s) => s.status), (s) => s.includes("online"));
      expect(await ack(ann2, "presence:set", { status: "away" })).toEqual({ status: "online" });
      expect(await ack(ann1, "presence:set", { status: "away" })).toEqual({ status: "away" });
      expect(await ack(watcher, "presence:query", { users: ["ann", "nobody"] })).toEqual({ statuses: { ann: "away", nobody: "offline" } });
      await ack(ann1, "room:join", { room: "hall" });
      const diffs = recordEvents<{ user: string; action: string }>(ann1, "room:member");
      const bob = await pool.connect(2, t, "bob");
      expect(await ack(bob, "room:join", { room: "hall" })).toMatchObject({ members: ["ann", "bob"] });
      expect(await ack(bob, "room:members", { room: "hall" })).toEqual({ room: "hall", members: [{ user: "ann", status: "away" }, { user: "bob", status: "online" }] });
      await eventually(async () => diffs, (d) => d.some((x) => x.user === "bob" && x.action === "joined"));
      bob.close();
      await eventually(async () => diffs, (d) => d.some((x) => x.user === "bob" && x.action === "left"));
      ann1.close();
      await sleep(300);
      expect(await ack(watcher, "presence:query", { users: ["ann"] })).toEqual({ statuses: { ann: "away" } });
      ann2.close();
      await eventually(async () => seen.map((s) => s.status), (s) => s[s.length - 1] === "offline");
      expect(seen.map((s) => s.status)).toEqual(["online", "away", "offline"]);
    });

    it("rooms: private rooms for members only, idempotent resends, typing to others", async () => {
      const t = freshTenant("rooms");
      await (await api(t, "teach", "teacher")).post("/v1/rooms", { room: "club", title: "Club", private: true });
      const outsider = await pool.connect(0, t, "out");
      expect((await ack(outsider, "room:join", { room: "club" })).error?.code).toBe(ErrorCode.NotFound);
      await (await api(t, "teach", "teacher")).put("/v1/rooms/club/members/in");
      const member = await pool.connect(1, t, "in");
      const teacher = await pool.connect(2, t, "teach", "teacher");
      await ack(member, "room:join", { room: "club" });
      await ack(teacher, "room:join", { room: "club" });
      const got = recordEvents<RoomMessageDelivery>(teacher, "room:message");
      const first = await ack(member, "room:message", { room: "club", text: "once", key: "k-1" });
      const again = await ack(member, "room:message", { room: "club", text: "once", key: "k-1" });
      expect(again).toEqual(first);
      await eventually(async () => got.length, (n) => n >= 1);
      await sleep(200);
      expect(got.map((m) => m.text)).toEqual(["once"]);
      const typing = nextEvent<{ user: string }>(teacher, "room:typing");
      const selfTyping = recordEvents(member, "room:typing");
      await ack(member, "room:typing", { room: "club" });
      expect((await typing).user).toBe("in");
      expect(selfTyping).toEqual([]);
      const history = await eventually(() => api(t, "teach", "teacher").then((a) => a.get<{ messages: unknown[] }>("/v1/rooms/club/messages")), (r) => r.body.messages?.length >= 1);
      await sleep(300);
      expect((await (await api(t, "teach", "teacher")).get<{ messages: unknown[] }>("/v1/rooms/club/messages")).body.messages).toHaveLength(history.body.messages.length);
    });

    it("moderation: staff mute, kick and delete; students may not", async () => {
      const t = freshTenant("mod");
      const teacher = await pool.connect(0, t, "teach", "teacher");
      const kid = await pool.connect(1, t, "kid");
      const other = await pool.connect(2, t, "other");
      for (const c of [teacher, kid, other]) await ack(c, "room:join", { room: "class" });
      expect((await ack(kid, "room:mute", { room: "class", user: "other", seconds: 60 })).error?.code).toBe(ErrorCode.Forbidden);
      const muted = nextEvent<{ room: string }>(kid, "room:muted");
      expect(await ack(teacher, "room:mute", { room: "class", user: "kid", seconds: 60 })).toMatchObject({ room: "class", user: "kid" });
      expect((await muted).room).toBe("class");
      expect((await ack(kid, "room:message", { room: "class", text: "hi" })).error?.code).toBe(ErrorCode.Muted);
      await ack(teacher, "room:unmute", { room: "class", user: "kid" });
      const sent = await ack(kid, "room:message", { room: "class", text: "sorry" });
      const deleted = nextEvent<{ id: string }>(other, "room:deleted");
      await ack(teacher, "room:delete", { room: "class", id: sent.id });
      expect((await deleted).id).toBe(sent.id);
      const kicked = nextEvent<{ room: string; by: string }>(kid, "room:kicked");
      const left = nextEvent<{ user: string; action: string }>(other, "room:member");
      expect(await ack(teacher, "room:kick", { room: "class", user: "kid" })).toEqual({ room: "class", user: "kid" });
      expect(await kicked).toEqual({ room: "class", by: "teach" });
      expect(await left).toEqual({ room: "class", user: "kid", action: "left" });
      const afterKick = recordEvents(kid, "room:message");
      await ack(other, "room:message", { room: "class", text: "without kid" });
      expect((await ack(kid, "room:join", { room: "class" })).error?.code).toBe(ErrorCode.Forbidden);
      await sleep(200);
      expect(afterKick).toEqual([]);
    });

    it("chat: direct and group messages across nodes, receipts, typing, unread counts, members only", async () => {
      const t = freshTenant("chat");
      const conv = (await (await api(t, "ann")).post<{ id: string }>("/v1/conversations", { kind: "direct", user: "bob" })).body.id;
      const ann = await pool.connect(0, t, "ann");
      const bob = await pool.connect(1, t, "bob");
      const eve = await pool.connect(2, t, "eve");
      const incoming = nextEvent<ChatMessageDelivery>(bob, "chat:message");
      const sent = await ack(ann, "chat:send", { conversationId: conv, text: "hi bob" });
      expect(sent).toMatchObject({ seq: 1 });
      expect(await incoming).toMatchObject({ conversationId: conv, seq: 1, user: "ann", text: "hi bob" });
      await ack(ann, "chat:send", { conversationId: conv, text: "are you there?" });
      const typing = nextEvent<{ user: string }>(ann, "chat:typing");
      await ack(bob, "chat:typing", { conversationId: conv });
      expect((await typing).user).toBe("bob");
      const receipt = nextEvent<{ user: string; kind: string; upToSeq: number }>(ann, "chat:receipt");
      expect(await ack(bob, "chat:receipt", { conversationId: conv, kind: "read", upToSeq: 1 })).toEqual({ conversationId: conv, upToSeq: 1 });
      expect(await receipt).toMatchObject({ user: "bob", kind: "read", upToSeq: 1 });
      const unread = await eventually(
        () => api(t, "bob").then((a) => a.get<{ conversations: Array<{ id: string; unread: number; lastSeq: number }> }>("/v1/conversations")),
        (r) => r.body.conversations?.[0]?.lastSeq === 2 && r.body.conversations[0].unread === 1,
      );
      expect(unread.body.conversations[0]).toMatchObject({ id: conv, unread: 1 });
      for (const [event, payload] of [
        ["chat:send", { conversationId: conv, text: "let me in" }],
        ["chat:receipt", { conversationId: conv, kind: "read", upToSeq: 2 }],
        ["chat:typing", { conversationId: conv }],
        ["chat:sync", { conversationId: conv, since: 0 }],
      ] as const) {
        expect((await ack(eve, event, payload)).error?.code).toBe(ErrorCode.NotFound);
      }
    });

    it("large rooms: 110 members over 3 nodes (one long-polling) get every message once and in order, never their own", async () => {
      const t = freshTenant("big");
      const url = (n: number) => (deployment.nodes[n] as { url: string }).url;
      expect((await (await apiAs(url(0), "platform", "root", "super_admin")).put(`/v1/tenants/${t}/quotas`, { maxConnections: 200 })).status).toBe(200);
      // 100 on node 0 (past the 100 local members from which the uWS engine batches its publishes), 5 on each other node
      const placement = [...Array.from({ length: 100 }, () => 0), 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
      const members: TestClient[] = [];
      for (let i = 0; i < placement.length; i += 20) members.push(...(await Promise.all(placement.slice(i, i + 20).map((node, k) => pool.connect(node, t, `m${i + k}`)))));
      const poller = pool.track(await connectClient(url(1), await mintToken(t, "poller"), ["polling"]));
      const everyone = [...members, poller];
      for (let i = 0; i < everyone.length; i += 20) await Promise.all(everyone.slice(i, i + 20).map((c) => ack(c, "room:join", { room: "hall" })));
      const got = everyone.map((c) => recordEvents<RoomMessageDelivery>(c, "room:message"));
      const [local, remote] = [members[0]!, members[100]!]; // senders on node 0 and node 1
      const sent: string[] = [];
      for (let i = 0; i < 30; i++) {
        const [sender, text] = i % 3 === 2 ? [remote, `r${i}`] : [local, `l${i}`];
        expect(await ack(sender, "room:message", { room: "hall", text })).toMatchObject({ seq: i + 1 });
        sent.push(text);
      }
      const texts = (k: number) => got[k]!.map((m) => m.text);
      await eventually(async () => got.map((g) => g.length), (lengths) => lengths.every((n, k) => n === sent.filter((x) => x[0] !== (k === 0 ? "l" : k === 100 ? "r" : "-")).length));
      expect(texts(0)).toEqual(sent.filter((x) => x.startsWith("r")));
      expect(texts(100)).toEqual(sent.filter((x) => x.startsWith("l")));
      for (const k of [1, 50, 99, 101, 105, 109, 110]) expect(texts(k)).toEqual(sent);
      expect(got.every((g, k) => k === 0 || k === 100 || g.map((m) => m.seq).join() === sent.map((_, i) => i + 1).join())).toBe(true);
    });

    it("recovery: a client rejoining on another node with its last seq gets exactly the missed messages, from Redis or Postgres", async () => {
      const t = freshTenant("rec");
      const a1 = await pool.connect(0, t, "ann");
      const bob = await pool.connect(1, t, "bob");
      await ack(a1, "room:join", { room: "r" });
      await ack(bob, "room:join", { room: "r" });
      for (const text of ["1", "2", "3"]) await ack(bob, "room:message", { room: "r", text });
      a1.close();
      for (const text of ["4", "5", "6"]) await ack(bob, "room:message", { room: "r", text });
      const a2 = await pool.connect(2, t, "ann");
      const back = await ack(a2, "room:join", { room: "r", since: 3 });
      expect(back.recovered).toBe(true);
      expect((back.messages as RoomMessageDelivery[]).map((m) => [m.seq, m.text])).toEqual([[4, "4"], [5, "5"], [6, "6"]]);
      expect(await ack(a2, "room:join", { room: "r", since: 6 })).toMatchObject({ recovered: true, messages: [] });
      // without the Redis history the same answer comes from Postgres (once the worker stored it)
      const redis = new Redis(serviceEnv("REDIS_URL"));
      await redis.del(`${deployment.namespace}:h:${t}:r`);
      redis.disconnect();
      const fromDb = await eventually(() => ack(a2, "room:join", { room: "r", since: 1 }), (r) => r.recovered === true);
      expect((fromDb.messages as RoomMessageDelivery[]).map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);
      const conv = (await (await api(t, "ann")).post<{ id: string }>("/v1/conversations", { kind: "direct", user: "bob" })).body.id;
      for (const text of ["x", "y"]) await ack(bob, "chat:send", { conversationId: conv, text });
      expect(await ack(a2, "chat:sync", { conversationId: conv, since: 1 })).toMatchObject({ recovered: true, messages: [{ seq: 2, text: "y" }] });
      const metrics = await (await fetch(`${(deployment.nodes[2] as { url: string }).url}/metrics`)).text();
      const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
      expect(value(/^interlinked_recovery_total\{[^}]*kind="room"[^}]*result="hit"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(2);
      expect(value(new RegExp(`^interlinked_realtime_connections\\{[^}]*tenant="${t}"[^}]*\\} (\\d+)`, "m"))).toBe(1);
      expect(value(/^interlinked_realtime_events_in_total\{[^}]*event="room:join"[^}]*outcome="ok"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(3);
      expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds/m);
    });

    it("notifications: missed ones with the unread count on connect; feed subscriptions over the socket", async () => {
      const t = freshTenant("notif");
      const teacher = await api(t, "teach", "teacher");
      await teacher.post("/v1/notifications", { users: ["kim"], title: "While you were away" });
      await eventually(() => api(t, "kim").then((a) => a.get<{ unread: number }>("/v1/notifications")), (r) => r.body.unread === 1);
      // listen before the connection completes: the backlog is sent right after the handshake
      const socket: TestClient = io((deployment.nodes[1] as { url: string }).url, { auth: { token: await mintToken(t, "kim") }, transports: ["websocket"], reconnection: false, forceNew: true });
      pool.track(socket);
      const backlog = await nextEvent<{ unread: number; notifications: NotificationDelivery[] }>(socket, "notification:backlog");
      expect(backlog.unread).toBe(1);
      expect(backlog.notifications.map((n) => n.title)).toEqual(["While you were away"]);
      await teacher.post("/v1/feeds", { feed: "news", kind: "announcements", title: "News" });
      const kim = await pool.connect(2, t, "kim");
      expect(await ack(kim, "feed:subscribe", { feed: "news" })).toEqual({ feed: "news" });
      expect((await ack(kim, "feed:subscribe", { feed: "nope" })).error?.code).toBe(ErrorCode.NotFound);
      const pushed = nextEvent<NotificationDelivery>(kim, "notification");
      await teacher.post("/v1/notifications", { feed: "news", title: "Assembly at 9" });
      expect(await pushed).toMatchObject({ feed: "news", title: "Assembly at 9" });
      expect(await ack(kim, "notification:read", { all: true })).toMatchObject({ marked: expect.any(Number) });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { RoomMessageDelivery } from "../core/events";
import { createClient, isInterlinkedError, InterlinkedError, type InterlinkedClient, type ClientOptions } from "../sdk/src/index";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, startEmbeddedDeployment, startProcessDeployment, type Deployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";

const clients: InterlinkedClient[] = [];
function client(options: ClientOptions): InterlinkedClient {
  const c = createClient({ minDelayMs: 50, maxDelayMs: 1_000, ...options });
  clients.push(c);
  return c;
}
afterAll(() => clients.forEach((c) => c.close()));

/** Records `room:message` deliveries of a client, per room. */
function recordRoom(c: InterlinkedClient): RoomMessageDelivery[] {
  const seen: RoomMessageDelivery[] = [];
  c.on("room:message", (m) => seen.push(m));
  return seen;
}

describe("SDK on an embedded node", () => {
  let deployment: Deployment;
  let url: string;
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment();
    url = (deployment.nodes[0] as { url: string }).url;
  });
  afterAll(() => deployment.close());

  it("joins, sends and receives typed messages; a bad payload rejects with the server's numbered error", async () => {
    const tenant = freshTenant("sdk-a");
    const ann = client({ url, token: await mintToken(tenant, "ann") });
    const bob = client({ url, token: await mintToken(tenant, "bob") });
    await Promise.all([ann.ready(), bob.ready()]);
    expect(ann.user).toBe("ann");
    const bobSeen = recordRoom(bob);
    expect((await ann.rooms.join("lobby")).members).toEqual(["ann"]);
    expect((await bob.rooms.join("lobby")).memberCount).toBe(2);
    const first = await ann.rooms.send("lobby", "hello");
    const second = await ann.rooms.send("lobby", "again");
    expect([first.seq, second.seq]).toEqual([1, 2]);
    await eventually(async () => bobSeen.length, (n) => n === 2);
    expect(bobSeen.map((m) => [m.seq, m.user, m.text])).toEqual([[1, "ann", "hello"], [2, "ann", "again"]]);
    expect(ann.rooms.lastSeq("lobby")).toBe(2);
    expect(bob.rooms.lastSeq("lobby")).toBe(2);

    const badRoom = await ann.rooms.join("bad:room").catch((e: unknown) => e);
    expect(badRoom).toBeInstanceOf(InterlinkedError);
    expect(badRoom).toMatchObject({ code: ErrorCode.InvalidRoomName, temporary: false, event: "room:join", codeName: "InvalidRoomName" });
    // a payload the schema refuses (extra field), through the typed escape hatch
    const extra = await ann.request("room:leave", { room: "lobby", extra: 1 } as never).catch((e: unknown) => e);
    expect(isInterlinkedError(extra) && extra.code).toBe(ErrorCode.InvalidPayload);
    const notJoined = await ann.rooms.send("elsewhere", "x").catch((e: unknown) => e);
    expect(notJoined).toMatchObject({ code: ErrorCode.NotInRoom, temporary: false });

    // presence and notifications over the same connection
    expect(await ann.presence.subscribe(["bob", "carl"])).toEqual({ bob: "online", carl: "offline" });
    const change = new Promise<unknown>((resolve) => ann.once("presence", resolve));
    await bob.presence.set("away");
    expect(await change).toEqual({ user: "bob", status: "away" });
    expect(await ann.notifications.markRead("all")).toBe(0);
  });

  it("rooms.join with since delivers what came after it to the listeners, in order, once", async () => {
    const tenant = freshTenant("sdk-since");
    const ann = client({ url, token: await mintToken(tenant, "ann") });
    await ann.rooms.join("hist");
    for (let i = 1; i <= 5; i++) await ann.rooms.send("hist", `m${i}`);
    const late = client({ url, token: await mintToken(tenant, "late") });
    const seen = recordRoom(late);
    const rejoined: unknown[] = [];
    late.on("rejoined", (info) => rejoined.push(info));
    const ack = await late.rooms.join("hist", { since: 2 });
    expect(ack).toMatchObject({ recovered: true, missed: 3 });
    expect(seen.map((m) => m.text)).toEqual(["m3", "m4", "m5"]);
    expect(rejoined).toEqual([]); // a first join is not a rejoin: the ack says it
    await ann.rooms.send("hist", "m6");
    await eventually(async () => seen.length, (n) => n === 4);
    expect(seen.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
  });

  it("chat, feeds and notifications: send/sync a conversation, follow a feed, receive and mark a notification", async () => {
    const tenant = freshTenant("sdk-chat");
    const ann = client({ url, token: await mintToken(tenant, "ann") });
    const bob = client({ url, token: await mintToken(tenant, "bob") });
    await Promise.all([ann.ready(), bob.ready()]);
    const annApi = await apiAs(url, tenant, "ann");
    const created = await annApi.post<{ id: string }>("/v1/conversations", { kind: "direct", user: "bob" });
    expect(created.status).toBe(201);
    const conversationId = created.body.id;
    const bobGot: Array<{ seq: number; text: string }> = [];
    bob.on("chat:message", (m) => bobGot.push(m));
    expect((await ann.chat.send(conversationId, "hi bob")).seq).toBe(1);
    expect((await ann.chat.send(conversationId, "are you there?")).seq).toBe(2);
    await eventually(async () => bobGot.length, (n) => n === 2);
    expect(bobGot.map((m) => [m.seq, m.text])).toEqual([[1, "hi bob"], [2, "are you there?"]]);
    const receipt = new Promise<unknown>((resolve) => ann.once("chat:receipt", resolve));
    await bob.chat.receipt(conversationId, "read", 2);
    expect(await receipt).toEqual({ conversationId, user: "bob", kind: "read", upToSeq: 2 });
    // bob on a second device catches up from seq 1 through the listeners
    const bobElsewhere = client({ url, token: await mintToken(tenant, "bob") });
    const caught: number[] = [];
    bobElsewhere.on("chat:message", (m) => caught.push(m.seq));
    expect(await bobElsewhere.chat.sync(conversationId, 1)).toEqual({ recovered: true, missed: 1, reason: "join" });
    expect(caught).toEqual([2]);
    const notMember = await client({ url, token: await mintToken(tenant, "eve") }).chat.send(conversationId, "let me in").catch((e: unknown) => e);
    expect(notMember).toMatchObject({ code: ErrorCode.NotFound });

    const teacher = await apiAs(url, tenant, "tina", "teacher");
    expect((await teacher.post("/v1/feeds", { feed: "news", kind: "announcements", title: "News" })).status).toBe(201);
    await bob.feeds.subscribe("news");
    const note = new Promise<{ id: string; title: string; feed?: string }>((resolve) => bob.once("notification", resolve));
    expect((await teacher.post("/v1/notifications", { feed: "news", title: "Snow day", body: "No school" })).status).toBe(202);
    const got = await note;
    expect(got).toMatchObject({ title: "Snow day", feed: "news" });
    expect(await bob.notifications.markRead([got.id])).toBe(1);
    await bob.feeds.unsubscribe("news");
    const missingFeed = await bob.feeds.subscribe("nope").catch((e: unknown) => e);
    expect(missingFeed).toMatchObject({ code: ErrorCode.NotFound });
  });

  it("refuses a bad token at the handshake with the server's code and stops", async () => {
    const c = client({ url, token: "not-a-jwt" });
    const stopped = new Promise<{ code?: number; willReconnect: boolean }>((resolve) => c.once("disconnected", resolve));
    expect(await stopped).toMatchObject({ code: ErrorCode.TokenInvalid, willReconnect: false });
    expect(c.state).toBe("closed");
    await expect(c.ready()).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});

describe("SDK token refresh (embedded node)", () => {
  let deployment: Deployment;
  let url: string;
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment();
    url = (deployment.nodes[0] as { url: string }).url;
  });
  afterAll(() => deployment.close());

  it("calls refreshToken before exp, sends auth:refresh, and the connection outlives the first token", async () => {
    const tenant = freshTenant("sdk-token");
    const first = await mintToken(tenant, "ann", "student", 10);
    const firstExp = JSON.parse(Buffer.from(first.split(".")[1] as string, "base64url").toString()) as { exp: number };
    const calls: number[] = [];
    const c = client({
      url,
      token: first,
      refreshMarginMs: 4_000,
      refreshToken: async () => {
        calls.push(Date.now());
        return mintToken(tenant, "ann", "student", 60);
      },
    });
    const disconnects: unknown[] = [];
    c.on("disconnected", (info) => disconnects.push(info));
    const refreshed = new Promise<{ exp: number }>((resolve) => c.once("token:refreshed", resolve));
    await c.ready();
    await c.rooms.join("r");
    const { exp } = await refreshed;
    expect(calls).toHaveLength(1);
    expect((calls[0] as number) / 1000).toBeLessThan(firstExp.exp - 3); // ~4 s before exp (≈ 6 s after mint)
    expect(exp).toBeGreaterThan(firstExp.exp + 40);
    await sleep(Math.max(0, firstExp.exp * 1000 - Date.now()) + 2_000); // past the first token's exp
    expect(c.state).toBe("connected");
    expect(disconnects).toEqual([]);
    expect((await c.rooms.send("r", "still here")).seq).toBe(1);
  }, 30_000);

  it("without a callback, the server's expiry disconnect (2002) is reported and the client stops", async () => {
    const tenant = freshTenant("sdk-expire");
    const c = client({ url, token: await mintToken(tenant, "bob", "student", 3) });
    const seen: Array<{ code?: number; willReconnect: boolean }> = [];
    const stopped = new Promise<void>((resolve) =>
      c.on("disconnected", (info) => {
        seen.push(info);
        if (!info.willReconnect) resolve();
      }),
    );
    await c.ready();
    await stopped;
    expect(seen).toEqual([{ reason: "io server disconnect", code: ErrorCode.TokenExpired, message: expect.any(String), willReconnect: false }]);
    expect(c.state).toBe("closed");
  }, 20_000);
});

describe("SDK across a kill -9 of its node (3 realtime processes, Redis, Kafka, PostgreSQL)", () => {
  let d: Awaited<ReturnType<typeof startProcessDeployment>>;
  beforeAll(async () => {
    d = await startProcessDeployment(3, { engine: "ws" });
  }, 120_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await d?.close();
  });
  const url = (i: number): string => (d.processes[i] as { url: string }).url;
  const kill = async (i: number): Promise<number> => {
    expect(await (d.processes[i] as { child: { stop(s: string): Promise<number | null> } }).child.stop("SIGKILL")).toBeNull();
    return Date.now();
  };
  type Stored = { seq: number; text: string; user: string };
  const historyOf = async (node: string, tenant: string, room: string, atLeast: number): Promise<Stored[]> => {
    const api = await apiAs(node, tenant, "reader");
    return eventually(async () => (await api.get<{ messages?: Stored[] }>(`/v1/rooms/${room}/messages?limit=500`)).body.messages ?? [], (ms) => ms.length >= atLeast, 15_000);
  };

  /** bob (on `node`) sends acked messages until stopped, then 20 more. */
  const keepSending = (bob: InterlinkedClient, room: string) => {
    const acked: number[] = [];
    let sending = true;
    const done = (async () => {
      for (let i = 1, extra = 0; sending || extra++ < 20; i++) {
        acked.push((await bob.rooms.send(room, `bob-${i}`)).seq);
        await sleep(20);
      }
    })();
    return { acked, stop: async () => ((sending = false), await done) };
  };

  it("reconnects to the other node, rejoins with since (recovered: true) and delivers every acked message once, in seq order", async () => {
    const tenant = freshTenant("sdk-kill");
    // ann starts on node 0 (the first URL) and knows node 1; bob talks on node 1
    const ann = client({ url: [url(0), url(1)], token: await mintToken(tenant, "ann") });
    const bob = client({ url: url(1), token: await mintToken(tenant, "bob") });
    await Promise.all([ann.ready(), bob.ready()]);
    const seen = recordRoom(ann);
    const rejoined: Array<{ room: string; recovered: boolean; missed: number }> = [];
    ann.on("rejoined", (info) => rejoined.push(info));
    const events: string[] = [];
    ann.on("disconnected", (info) => events.push(`disconnected:${info.willReconnect}`));
    ann.on("connected", (info) => events.push(`connected:${info.url === url(1) ? "node1" : info.url}`));
    await ann.rooms.join("talk", { since: 0 });
    await bob.rooms.join("talk");
    const bobs = keepSending(bob, "talk");
    await eventually(async () => seen.length, (n) => n >= 10);
    const killedAt = await kill(0);
    await eventually(async () => rejoined.length, (n) => n >= 1, 20_000);
    const rejoinMs = Date.now() - killedAt;
    await bobs.stop();
    await eventually(async () => seen.length, (n) => n >= bobs.acked.length, 10_000);

    expect(events).toEqual(["disconnected:true", "connected:node1"]);
    expect(rejoined).toHaveLength(1);
    expect(rejoined[0]).toMatchObject({ room: "talk", recovered: true });
    expect(rejoined[0]?.missed).toBeGreaterThan(0); // bob went on while ann was away
    expect(seen.map((m) => m.seq)).toEqual(bobs.acked); // each once, in order, no gap
    expect(bobs.acked).toEqual(Array.from({ length: bobs.acked.length }, (_, i) => i + 1));
    expect(seen.map((m) => m.text)).toEqual(bobs.acked.map((_, i) => `bob-${i + 1}`));
    console.log(`[sdk] kill -9: ann rejoined on node 1 ${rejoinMs} ms after the kill, ${rejoined[0]?.missed} missed messages recovered`);
  }, 60_000);

  it("resends messages unacked when their node died with the same key: each stored once, at the seq its ack gives", async () => {
    const tenant = freshTenant("sdk-resend");
    const ann = client({ url: [url(2), url(1)], token: await mintToken(tenant, "ann") });
    const bob = client({ url: url(1), token: await mintToken(tenant, "bob") });
    await Promise.all([ann.ready(), bob.ready()]);
    const seen = recordRoom(ann);
    const rejoined: Array<{ recovered: boolean; skipped?: { from: number; to: number } }> = [];
    ann.on("rejoined", (info) => rejoined.push(info));
    await ann.rooms.join("burst", { since: 0 });
    await bob.rooms.join("burst");
    const bobs = keepSending(bob, "burst");
    await eventually(async () => seen.length, (n) => n >= 5);
    // a burst into node 2 as it dies: acked, in flight (maybe stored, ack lost) and queued messages
    const burst = Array.from({ length: 15 }, (_, i) => ann.rooms.send("burst", `ann-${i}`));
    await sleep(10);
    await kill(2);
    const annAcked = await Promise.all(burst);
    await eventually(async () => rejoined.length, (n) => n >= 1, 20_000);
    await bobs.stop();

    const annSeqs = annAcked.map((a) => a.seq);
    expect(annSeqs).toEqual([...annSeqs].sort((x, y) => x - y)); // sent in order, one at a time
    const stored = await historyOf(url(1), tenant, "burst", bobs.acked.length + 15);
    await sleep(500);
    const settled = (await historyOf(url(1), tenant, "burst", 0)).filter((m) => m.user === "ann");
    expect(settled.map((m) => m.text)).toEqual(Array.from({ length: 15 }, (_, i) => `ann-${i}`)); // each once, in order
    expect(settled.map((m) => m.seq)).toEqual(annSeqs);
    // what ann's listener got: bob's messages, each once, in order; a seq the rejoin skipped is one no message has
    await eventually(async () => seen.length, (n) => n >= bobs.acked.length, 10_000);
    expect(seen.map((m) => m.seq)).toEqual(bobs.acked);
    const storedSeqs = new Set(stored.map((m) => m.seq));
    for (const r of rejoined) {
      if (r.recovered) continue;
      expect(r.skipped).toBeDefined();
      for (let s = r.skipped?.from ?? 0; s <= (r.skipped?.to ?? -1); s++) expect(storedSeqs.has(s)).toBe(false);
    }
    console.log(`[sdk] resend after kill -9: ann's 15 messages stored once each; rejoin ${JSON.stringify(rejoined)}`);
  }, 60_000);
});

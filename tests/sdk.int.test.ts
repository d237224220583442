import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { isInterlinkedError, InterlinkedError } from "../sdk/src/index";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";
import { recordRoom, sdkClients } from "./support/sdk";

const { client, closeAll } = sdkClients();
afterAll(closeAll);

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
    const first = await mintToken(tenant, "ann", "student", 6);
    const firstExp = JSON.parse(Buffer.from(first.split(".")[1] as string, "base64url").toString()) as { exp: number };
    const calls: number[] = [];
    const c = client({
      url,
      token: first,
      refreshMarginMs: 2_500,
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
    expect((calls[0] as number) / 1000).toBeLessThan(firstExp.exp - 2); // 2.5 s before exp (≈ 3.5 s after mint)
    expect(exp).toBeGreaterThan(firstExp.exp + 40);
    await sleep(Math.max(0, firstExp.exp * 1000 - Date.now()) + 1_500); // past the first token's exp
    expect(c.state).toBe("connected");
    expect(disconnects).toEqual([]);
    expect((await c.rooms.send("r", "still here")).seq).toBe(1);
  }, 20_000);

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

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { RoomMessageDelivery } from "../core/events";
import { createClient, isInterlinkedError, InterlinkedError, type InterlinkedClient, type ClientOptions } from "../sdk/src/index";
import { eventually } from "./support/clients";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";

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

  it("refuses a bad token at the handshake with the server's code and stops", async () => {
    const c = client({ url, token: "not-a-jwt" });
    const stopped = new Promise<{ code?: number; willReconnect: boolean }>((resolve) => c.once("disconnected", resolve));
    expect(await stopped).toMatchObject({ code: ErrorCode.TokenInvalid, willReconnect: false });
    expect(c.state).toBe("closed");
    await expect(c.ready()).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});

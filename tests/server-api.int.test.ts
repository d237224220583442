import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, emitWithAck, eventually, nextEvent, recordEvents, type TestClient } from "./support/clients";
import { apiAs, type ApiClient } from "./support/http";
import { mintToken, startDistributedDeployment, type Deployment } from "./support/nodes";
import { parseApiKey } from "../core/api-keys";

interface Published {
  id: string;
  seq: number;
}
interface RoomDelivery {
  room: string;
  id: string;
  seq: number;
  user: string;
  text: string;
}

/** A call of the server API with an API key (as X-Api-Key, or as a bearer token). */
async function withKey<T = Record<string, unknown>>(url: string, key: string, method: string, path: string, body?: unknown, as: "header" | "bearer" = "header") {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(as === "header" ? { "x-api-key": key } : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

describe("server API on two realtime nodes (Redis, Kafka, PostgreSQL, worker)", { timeout: 30_000 }, () => {
  let deployment: Deployment;
  let urls: [string, string];
  let adminA: ApiClient;
  let adminB: ApiClient;
  const sockets: TestClient[] = [];
  const connect = async (url: string, tenant: string, user: string, role: "student" | "teacher" = "student") => {
    const s = await connectClient(url, await mintToken(tenant, user, role));
    sockets.push(s);
    return s;
  };
  const createKey = async (client: ApiClient, scopes: string[]) => {
    const res = await client.post<{ id: string; key: string; scopes: string[] }>("/v1/api-keys", { name: `key ${scopes.join(" ")}`, scopes });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^ilk_[0-9a-f]{16}_/);
    return res.body;
  };

  beforeAll(async () => {
    deployment = await startDistributedDeployment(2);
    urls = [deployment.nodes[0]!.url, deployment.nodes[1]!.url];
    adminA = await apiAs(urls[0], "school-a", "admin-a", "school_admin");
    adminB = await apiAs(urls[0], "school-b", "admin-b", "school_admin");
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await deployment?.close();
  });

  it("publishes into a room as the system and on behalf of a user: sockets on both nodes get it, history has it with the next seq", async () => {
    const { key } = await createKey(adminA, ["publish"]);
    const alice = await connect(urls[0], "school-a", "alice");
    const bob = await connect(urls[1], "school-a", "bob");
    await emitWithAck(alice, "room:join", { room: "lobby" });
    await emitWithAck(bob, "room:join", { room: "lobby" });
    const atAlice = recordEvents<RoomDelivery>(alice, "room:message");
    const atBob = recordEvents<RoomDelivery>(bob, "room:message");
    const bySocket = (await emitWithAck(alice, "room:message", { room: "lobby", text: "from a socket" })) as Published;

    const sent = await withKey<Published>(urls[1], key, "POST", "/v1/server/rooms/lobby/messages", { text: "from the server", key: "k-1" });
    expect(sent.status).toBe(201);
    expect(sent.body.seq).toBe(bySocket.seq + 1);
    for (const seen of [atAlice, atBob]) {
      await eventually(async () => seen.find((m) => m.id === sent.body.id), (m) => m !== undefined);
      expect(seen.find((m) => m.id === sent.body.id)).toMatchObject({ room: "lobby", seq: bySocket.seq + 1, user: "system", text: "from the server" });
    }

    // the same idempotency key again: the first answer, one message
    const again = await withKey<Published>(urls[0], key, "POST", "/v1/server/rooms/lobby/messages", { text: "from the server", key: "k-1" }, "bearer");
    expect(again.body).toEqual(sent.body);
    const asUser = await withKey<Published>(urls[0], key, "POST", "/v1/server/rooms/lobby/messages", { text: "on behalf", user: "carol" });
    expect(asUser.body.seq).toBe(bySocket.seq + 2);

    const student = await apiAs(urls[0], "school-a", "alice");
    const history = await eventually(
      () => student.get<{ messages: Array<{ seq: number; user: string; text: string }> }>(`/v1/rooms/lobby/messages?after=${bySocket.seq - 1}`),
      (r) => r.body.messages.length >= 3,
    );
    expect(history.body.messages.map((m) => [m.seq, m.user, m.text])).toEqual([
      [bySocket.seq, "alice", "from a socket"],
      [bySocket.seq + 1, "system", "from the server"],
      [bySocket.seq + 2, "carol", "on behalf"],
    ]);
  });

  it("publishes into a conversation (a member, or the system; a non-member is 404)", async () => {
    const { key } = await createKey(adminA, ["publish"]);
    const dana = await connect(urls[1], "school-a", "dana");
    const conv = await (await apiAs(urls[0], "school-a", "erin")).post<{ id: string }>("/v1/conversations", { kind: "direct", user: "dana" });
    const atDana = nextEvent<{ conversationId: string; seq: number; user: string }>(dana, "chat:message");
    const sent = await withKey<Published>(urls[0], key, "POST", `/v1/server/conversations/${conv.body.id}/messages`, { text: "hello", user: "erin" });
    expect(sent.status).toBe(201);
    expect(await atDana).toMatchObject({ conversationId: conv.body.id, seq: sent.body.seq, user: "erin" });
    expect((await withKey<Published>(urls[0], key, "POST", `/v1/server/conversations/${conv.body.id}/messages`, { text: "notice" })).body.seq).toBe(sent.body.seq + 1);
    expect((await withKey(urls[0], key, "POST", `/v1/server/conversations/${conv.body.id}/messages`, { text: "x", user: "mallory" })).status).toBe(404);
  });

  it("reads a room's presence, lists live connections, notifies and disconnects a user, each with its scope only", async () => {
    const reader = await createKey(adminA, ["presence:read", "connections:read"]);
    const actor = await createKey(adminA, ["notify", "disconnect"]);
    const fay = await connect(urls[0], "school-a", "fay");
    await emitWithAck(fay, "room:join", { room: "study" });
    const presence = await withKey<{ members: Array<{ user: string; status: string }> }>(urls[1], reader.key, "GET", "/v1/server/rooms/study/presence");
    expect(presence.status).toBe(200);
    expect(presence.body.members).toEqual([{ user: "fay", status: "online" }]);
    const live = await withKey<{ count: number; connections: Array<{ user: string }> }>(urls[1], reader.key, "GET", "/v1/server/connections?limit=1000");
    expect(live.status).toBe(200);
    expect(live.body.connections.map((c) => c.user)).toContain("fay");
    expect(live.body.count).toBeGreaterThanOrEqual(live.body.connections.length);

    const notified = nextEvent<{ title: string }>(fay, "notification");
    expect((await withKey(urls[1], actor.key, "POST", "/v1/server/notifications", { users: ["fay"], title: "Exam moved" })).status).toBe(202);
    expect((await notified).title).toBe("Exam moved");

    // scopes: each key can do only what it was given
    expect((await withKey<{ error: { code: number } }>(urls[0], reader.key, "POST", "/v1/server/users/fay/disconnect")).body.error.code).toBe(2003);
    expect((await withKey(urls[0], actor.key, "GET", "/v1/server/rooms/study/presence")).status).toBe(403);
    expect((await withKey(urls[0], reader.key, "POST", "/v1/server/rooms/study/messages", { text: "no" })).status).toBe(403);

    const told = nextEvent<{ code: number; message: string }>(fay, "app:disconnect");
    const gone = new Promise<void>((resolve) => fay.once("disconnect", () => resolve()));
    expect((await withKey(urls[1], actor.key, "POST", "/v1/server/users/fay/disconnect", { reason: "maintenance" })).status).toBe(202);
    expect(await told).toMatchObject({ code: 2003, message: "maintenance" });
    await gone;
  });

  it("keeps a school's key to its school: school-b's sockets, presence and keys are out of reach", async () => {
    const keyA = await createKey(adminA, ["publish", "presence:read"]);
    const keyB = await createKey(adminB, ["publish"]);
    const gus = await connect(urls[0], "school-b", "gus");
    await emitWithAck(gus, "room:join", { room: "shared-name" });
    let leaked = false;
    gus.on("room:message", () => (leaked = true));
    expect((await withKey(urls[0], keyA.key, "POST", "/v1/server/rooms/shared-name/messages", { text: "school-a only" })).status).toBe(201);
    const presence = await withKey<{ members: unknown[] }>(urls[0], keyA.key, "GET", "/v1/server/rooms/shared-name/presence");
    expect(presence.body.members).toEqual([]);
    // school-b's admin cannot see, rotate or revoke school-a's key (and the other way round)
    expect((await adminB.get<{ keys: Array<{ id: string }> }>("/v1/api-keys")).body.keys.map((k) => k.id)).not.toContain(keyA.id);
    expect((await adminB.post(`/v1/api-keys/${keyA.id}/rotate`, {})).status).toBe(404);
    expect((await adminB.del(`/v1/api-keys/${keyA.id}`)).status).toBe(404);
    expect((await adminA.del(`/v1/api-keys/${keyB.id}`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect(leaked).toBe(false);
  });

  it("fails closed at once on every node when a key is revoked or rotated; keys and user tokens are not interchangeable", async () => {
    const created = await createKey(adminA, ["presence:read"]);
    const listed = (await adminA.get<{ keys: Array<{ id: string; lastUsedAt: string | null }> }>("/v1/api-keys")).body.keys.find((k) => k.id === created.id);
    expect(listed).toBeDefined();
    const secret = parseApiKey(created.key)?.secret;
    expect(secret).toHaveLength(43); // the whole secret: base64url has "_" in it, so splitting the key on "_" cut it short
    expect(JSON.stringify(listed)).not.toContain(secret as string); // no secret in the listing
    expect((await withKey(urls[0], created.key, "GET", "/v1/server/rooms/r/presence")).status).toBe(200);
    const rotated = await adminA.post<{ key: string }>(`/v1/api-keys/${created.id}/rotate`, {});
    expect(rotated.status).toBe(200);
    for (const url of urls) {
      expect((await withKey<{ error: { code: number } }>(url, created.key, "GET", "/v1/server/rooms/r/presence")).body.error.code).toBe(2001);
      expect((await withKey(url, rotated.body.key, "GET", "/v1/server/rooms/r/presence")).status).toBe(200);
    }
    // last use is recorded after the answer (at most every 30 s per node): it shows up shortly after
    const lastUsed = async () => (await adminA.get<{ keys: Array<{ id: string; lastUsedAt: string | null }> }>("/v1/api-keys")).body.keys.find((k) => k.id === created.id)?.lastUsedAt;
    expect(await eventually(lastUsed, (at) => typeof at === "string", 5_000)).toEqual(expect.any(String));
    expect((await adminA.del(`/v1/api-keys/${created.id}`)).status).toBe(204);
    for (const url of urls) expect((await withKey(url, rotated.body.key, "GET", "/v1/server/rooms/r/presence")).status).toBe(401);

    expect((await fetch(`${urls[0]}/v1/server/connections`, { headers: { authorization: `Bearer ${adminA.token}` } })).status).toBe(401);
    const live = await createKey(adminA, ["presence:read"]);
    expect((await fetch(`${urls[0]}/v1/rooms`, { headers: { authorization: `Bearer ${live.key}` } })).status).toBe(401);
    const student = await apiAs(urls[0], "school-a", "pupil");
    expect((await student.post("/v1/api-keys", { name: "x", scopes: ["publish"] })).status).toBe(403);
    expect((await adminA.post<{ error: { code: number } }>("/v1/api-keys", { name: "x", scopes: ["everything"] })).body.error.code).toBe(1001);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${urls[0]}/v1/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    for (const path of ["/v1/api-keys", "/v1/api-keys/{id}/rotate", "/v1/server/rooms/{room}/messages", "/v1/server/conversations/{id}/messages", "/v1/server/notifications", "/v1/server/users/{user}/disconnect", "/v1/server/rooms/{room}/presence", "/v1/server/connections", "/v1/webhooks", "/v1/webhooks/{id}/deliveries"]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.components.securitySchemes).toHaveProperty("apiKey");
  });
});

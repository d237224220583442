import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { connectClient, emitWithAck, nextEvent, type TestClient } from "./support/clients";
import { apiAs } from "./support/http";
import { RedisSocketFanout } from "../realtime/fanout/socket-fanout-redis";
import { engines } from "./support/engines";
import { mintToken, startProcessDeployment } from "./support/nodes";
import { redisClients } from "./support/redis-clients";
import { freshTenant, sleep } from "./support/realtime";

type Deployment = Awaited<ReturnType<typeof startProcessDeployment>>;

/** The connect_error code of a refused handshake. */
const refusal = (p: Promise<TestClient>): Promise<number | undefined> =>
  p.then(
    (c) => {
      c.close();
      return undefined;
    },
    (err: { data?: { code?: number } }) => err.data?.code,
  );

const bearer = async (url: string, token: string, path: string): Promise<{ status: number; code?: number }> => {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { error?: { code: number } };
  return { status: res.status, code: body.error?.code };
};

const redis = redisClients();

/** Revocation on a 3-node process deployment per engine (Redis adapter, Kafka, PostgreSQL): REST route, sockets on every node and namespace. */
for (const { engine, label } of engines) describe(`token revocation on 3 nodes (${label})`, () => {
  let deployment: Deployment;
  const open: TestClient[] = [];
  const url = (i: number): string => deployment.processes[i % 3]!.url;
  const connect = async (node: number, token: string, nsp = ""): Promise<TestClient> => {
    const c = await connectClient(url(node) + nsp, token);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    deployment = await startProcessDeployment(3, { engine });
  }, 120_000);
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => deployment?.close());

  it("disconnects the user's sockets on every node and namespace within 2 s with 2006 and refuses the old token everywhere", async () => {
    const school = freshTenant("rv");
    const other = freshTenant("rv-other");
    const old = await mintToken(school, "kid");
    const sockets = [await connect(0, old), await connect(1, old), await connect(2, old), await connect(1, old, "/class")];
    const classmate = await connect(0, await mintToken(school, "mate"));
    const namesake = await connect(2, await mintToken(other, "kid"));
    // every node has read (and may cache) "not revoked" for the old token over REST
    for (let i = 0; i < 3; i++) expect((await bearer(url(i), old, "/v1/notifications")).status).toBe(200);

    const told = sockets.map((s) => nextEvent<{ code: number }>(s, "app:disconnect", 2_000));
    const gone = sockets.map((s) => nextEvent<string>(s, "disconnect", 2_000));
    const started = Date.now();
    const admin = await apiAs(url(0), school, "principal", "school_admin");
    const res = await admin.post<{ tenant: string; user: string; before: string }>(`/v1/tenants/${school}/users/kid/revoke`, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenant: school, user: "kid" });
    expect(Date.parse(res.body.before)).toBeGreaterThanOrEqual(started - 1_000);

    expect((await Promise.all(told)).map((m) => m.code)).toEqual(Array(4).fill(ErrorCode.TokenRevoked));
    expect(await Promise.all(gone)).toEqual(Array(4).fill("io server disconnect"));
    expect(Date.now() - started).toBeLessThan(2_000);

    for (let i = 0; i < 3; i++) {
      expect(await refusal(connectClient(url(i), old))).toBe(ErrorCode.TokenRevoked);
      expect(await refusal(connectClient(url(i) + "/class", old))).toBe(ErrorCode.TokenRevoked);
    }
    // REST: every node refuses the old token within the 2 s bound (its cache lives at most ~1 s)
    await sleep(Math.max(0, 2_000 - (Date.now() - started)));
    for (let i = 0; i < 3; i++) expect(await bearer(url(i), old, "/v1/notifications")).toEqual({ status: 401, code: ErrorCode.TokenRevoked });

    // untouched: another user of the school, the same user id in another school
    expect(classmate.connected && namesake.connected).toBe(true);
    expect((await bearer(url(1), await mintToken(other, "kid"), "/v1/notifications")).status).toBe(200);

    // a token issued after the moment (iat has second precision: minted in a later second) connects everywhere
    await sleep(1_000 - (Date.now() % 1_000) + 50);
    const fresh = await mintToken(school, "kid");
    for (let i = 0; i < 3; i++) expect((await connect(i, fresh)).connected).toBe(true);
    expect((await connect(2, fresh, "/class")).connected).toBe(true);
    expect((await bearer(url(2), fresh, "/v1/notifications")).status).toBe(200);
  });

  it("refuses auth:refresh to a token issued before the moment", async () => {
    const school = freshTenant("rv-refresh");
    const keep = await connect(1, await mintToken(school, "t1", "teacher"));
    const stale = await mintToken(school, "t1", "teacher");
    await sleep(2_000);
    const admin = await apiAs(url(2), "platform", "root", "super_admin");
    const told = nextEvent<{ code: number }>(keep, "app:disconnect", 2_000);
    expect((await admin.post(`/v1/tenants/${school}/users/t1/revoke`, { before: new Date(Date.now() - 1_000).toISOString() })).status).toBe(200);
    expect((await told).code).toBe(ErrorCode.TokenRevoked);
    const again = await connect(0, await mintToken(school, "t1", "teacher"));
    expect(((await emitWithAck(again, "auth:refresh", { token: stale })) as { error?: { code: number } }).error?.code).toBe(ErrorCode.TokenRevoked);
  });

  it("lets only the school's admins (404 for another school) and super_admin revoke", async () => {
    const school = freshTenant("rv-roles");
    const path = `/v1/tenants/${school}/users/kid/revoke`;
    expect((await (await apiAs(url(0), school, "s", "student")).post(path, {})).status).toBe(403);
    expect((await (await apiAs(url(1), school, "t", "teacher")).post(path, {})).status).toBe(403);
    expect((await (await apiAs(url(2), freshTenant("rv-else"), "a", "school_admin")).post(path, {})).status).toBe(404);
    expect((await (await apiAs(url(0), school, "a", "school_admin")).post(path, { before: "not a date" })).status).toBe(400);
    expect((await (await apiAs(url(0), "platform", "root", "super_admin")).post(path, undefined)).status).toBe(200);
  });

  it("disconnects a user everywhere from a process without Socket.IO (the Redis emitter of an API-only node)", async () => {
    const school = freshTenant("rv-emitter");
    const token = await mintToken(school, "kid");
    const sockets = [await connect(0, token), await connect(1, token), await connect(2, token), await connect(2, token, "/class")];
    const mate = await connect(1, await mintToken(school, "mate"));
    const told = sockets.map((s) => nextEvent<{ code: number }>(s, "app:disconnect", 2_000));
    const gone = sockets.map((s) => nextEvent<string>(s, "disconnect", 2_000));
    new RedisSocketFanout(redis(), `${deployment.namespace}#socket.io`).disconnectUser(school, "kid", { code: ErrorCode.TokenRevoked, message: "revoked" });
    expect((await Promise.all(told)).map((m) => m.code)).toEqual(Array(4).fill(ErrorCode.TokenRevoked));
    expect(await Promise.all(gone)).toEqual(Array(4).fill("io server disconnect"));
    expect(mate.connected).toBe(true);
  });
});

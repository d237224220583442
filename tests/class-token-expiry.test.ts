import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { connectClient, emitWithAck, nextEvent, type TestClient } from "./support/clients";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";

const ack = (c: TestClient, event: string, payload: unknown) => emitWithAck(c, event, payload) as Promise<{ error?: { code: number }; exp?: number }>;

/** `/class` sockets live by their token like `/` ones: expiry disconnects with 2002, auth:refresh extends it. */
describe("token lifetime on the /class namespace (embedded node)", () => {
  let deployment: Deployment;
  const clients: TestClient[] = [];
  const classSocket = async (user: string, ttlSeconds: number) => {
    const c = await connectClient(`${(deployment.nodes[0] ?? expect.fail("no node")).url}/class`, await mintToken("school-x", user, "teacher", ttlSeconds));
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await deployment?.close();
  });

  it("disconnects a /class socket with 2002 at its token's exp, and keeps one that refreshed", async () => {
    const expiring = await classSocket("short", 2);
    const refreshed = await classSocket("long", 2);
    const told = nextEvent<{ code: number }>(expiring, "app:disconnect", 5_000);
    const gone = nextEvent<string>(expiring, "disconnect", 5_000);
    expect(await ack(refreshed, "auth:refresh", { token: await mintToken("school-x", "long", "teacher", 60) })).toMatchObject({ exp: expect.any(Number) });
    expect((await ack(refreshed, "auth:refresh", { token: await mintToken("school-x", "someone-else", "teacher", 60) })).error?.code).toBe(ErrorCode.Forbidden);
    expect((await ack(refreshed, "auth:refresh", { token: "garbage" })).error?.code).toBe(ErrorCode.TokenInvalid);
    expect((await told).code).toBe(ErrorCode.TokenExpired);
    expect(await gone).toBe("io server disconnect");
    await new Promise((r) => setTimeout(r, 500));
    expect(refreshed.connected).toBe(true);
  }, 15_000);
});

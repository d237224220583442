import { eq } from "drizzle-orm";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { ErrorCode } from "../core/errors";
import { openDatabase, type DatabaseHandle } from "../db/database";
import { quotaEvents } from "../db/schema";
import { withTenant } from "../db/tenant-scope";
import { connectClient, eventually, nextEvent, type TestClient } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, testConfig } from "./support/nodes";
import { runQuotaGraceCase } from "../realtime/quota-grace.case";
import { RedisKeyedState } from "../realtime/state/keyed-state-redis";
import { redisClients } from "./support/redis-clients";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";

const redis = redisClients();
runQuotaGraceCase("Redis (cluster-wide)", async () => {
  const client = redis();
  const prefix = `${testNamespace()}:`;
  return { state: new RedisKeyedState(client, prefix), redis: client, prefix };
});

describe("quota overflow grace over sockets (a node on Redis and PostgreSQL)", () => {
  let node: RunningInterlinked;
  let db: DatabaseHandle;
  const open: TestClient[] = [];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    node = await startInterlinked(testConfig({ databaseUrl, redisUrl: serviceEnv("REDIS_URL"), namespace: testNamespace() }));
  }, 60_000);
  afterAll(async () => {
    open.forEach((c) => c.disconnect());
    await node?.close();
    await db?.close();
  });

  it("a school over its connection quota is warned with graceUntil and recorded (quota.event), then refused with 3001 once it has no grace", async () => {
    const tenant = `grace-${testNamespace()}`;
    const root = await apiAs(node.url, "platform", "root", "super_admin");
    expect((await root.put(`/v1/tenants/${tenant}/quotas`, { maxConnections: 1, overflowGraceSeconds: 60 })).status).toBe(200);
    open.push(await connectClient(node.url, await mintToken(tenant, "u1")));
    const before = Date.now();
    const second = io(node.url, { auth: { token: await mintToken(tenant, "u2") }, transports: ["websocket"], reconnection: false, forceNew: true }) as TestClient;
    open.push(second);
    const warning = await nextEvent<{ quota: string; used: number; limit: number; graceUntil: string }>(second, "quota:warning");
    expect(warning).toMatchObject({ quota: "connections", used: 2, limit: 1 });
    expect(Date.parse(warning.graceUntil)).toBeGreaterThanOrEqual(before + 59_000);
    expect(Date.parse(warning.graceUntil)).toBeLessThanOrEqual(Date.now() + 60_000);
    const recorded = await eventually(
      () => withTenant(db.db, tenant, (tx) => tx.select().from(quotaEvents).where(eq(quotaEvents.tenantId, tenant))),
      (rows) => rows.length > 0,
    );
    expect(recorded[0]).toMatchObject({ kind: "warning", quota: "connections", used: 2, limit: 1 });
    // no grace for this school any more: the next connection over the quota is refused
    expect((await root.put(`/v1/tenants/${tenant}/quotas`, { overflowGraceSeconds: 0 })).status).toBe(200);
    const refused = await connectClient(node.url, await mintToken(tenant, "u3")).then(
      (c) => (open.push(c), undefined),
      (err: { data?: { code: number } }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.ConnectionQuota);
  });
});

import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDefaults } from "../core/config";
import { packRecords } from "../core/bus/packed-records";
import { newEvent, publishEvents, streams, toRecord } from "../core/contracts/streams";
import { ENDPOINT_CACHE_MS } from "../workers/webhooks/consumer";
import { WebhookSender } from "../workers/webhooks/sender";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { openDatabase } from "../db/database";
import { apiAs, type ApiClient } from "./support/http";
import { testConfig } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { startReceiver, type Receiver } from "../tools/webhooks/receiver";

type Verify = (secret: string, header: string, rawBody: string, toleranceSeconds?: number) => boolean;

/** The verification snippet of docs/WEBHOOKS.md, run exactly as documented (written to a module and imported). */
async function documentedVerify(): Promise<Verify> {
  const doc = readFileSync(new URL("../docs/WEBHOOKS.md", import.meta.url), "utf8");
  const block = /<!-- verification-snippet[^>]*-->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error("docs/WEBHOOKS.md has no verification snippet");
  const dir = mkdtempSync(join(tmpdir(), "webhook-snippet-"));
  const file = join(dir, "verify.mjs");
  writeFileSync(file, block);
  try {
    return ((await import(pathToFileURL(file).href)) as { verifyInterlinkedSignature: Verify }).verifyInterlinkedSignature;
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the imported module stays loaded
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secret: string;
  failureStreak: number;
  disabledReason: string | null;
}
interface Delivery {
  id: string;
  eventId: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  latencyMs: number | null;
}

describe("webhooks on Kafka and PostgreSQL, to real HTTP receivers", { timeout: 40_000 }, () => {
  let node: RunningInterlinked;
  let strict: RunningInterlinked;
  let adminA: ApiClient;
  let adminB: ApiClient;
  let verify: Verify;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const migrator = await openDatabase({ url: databaseUrl });
    await migrator.migrate();
    await migrator.close();
    const shared = { databaseUrl, kafkaBrokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace() };
    // a compressed schedule (5 attempts in ~0.5 s) and a quick disable, so the test sees both
    node = await startInterlinked(
      testConfig({
        ...shared,
        nodeId: "hooks-worker",
        roles: new Set(["api", "workers"]),
        webhooks: { ...webhookDefaults, allowPrivate: true, retryScheduleMs: [100, 100, 100, 100], timeoutMs: 2_000, disableAfterFailures: 6, disableAfterMs: 0, pollMs: 50 },
      }),
    );
    // an API node with the production default: private addresses refused
    strict = await startInterlinked(testConfig({ ...shared, nodeId: "hooks-api", roles: new Set(["api"]), webhooks: { ...webhookDefaults } }));
    adminA = await apiAs(node.url, "school-a", "admin-a", "school_admin");
    adminB = await apiAs(node.url, "school-b", "admin-b", "school_admin");
    verify = await documentedVerify();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await strict?.close();
    await node?.close();
  });

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const register = async (client: ApiClient, url: string, events: string[]) => {
    const res = await client.post<Endpoint>("/v1/webhooks", { url, events });
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, ENDPOINT_CACHE_MS + 100)); // the worker's endpoint cache sees it
    return res.body;
  };
  const roomMessage = (tenant: string, room: string, seq: number) => newEvent("room.message.created", tenant, { room, seq, user: "u1", text: `m${seq}` });

  it("delivers a signed event that the documented snippet verifies, and logs it over REST", async () => {
    const r = await receiver();
    const endpoint = await register(adminA, r.url, ["room.message.created", "room.member.joined"]);
    expect(endpoint.secret).toMatch(/^whsec_/);
    const ev = roomMessage("school-a", "signed", 1);
    await publishEvents(node.bus, "roomMessages", [ev]);
    const got = await until("the delivery", () => r.received.find((x) => JSON.parse(x.body).id === ev.id));
    const signature = String(got.headers["interlinked-signature"]);
    expect(verify(endpoint.secret, signature, got.body)).toBe(true);
    expect(verify(endpoint.secret, signature, got.body.replace("m1", "m2"))).toBe(false); // a changed body fails
    expect(verify("whsec_other", signature, got.body)).toBe(false);
    expect(got.headers["interlinked-event-id"]).toBe(ev.id);
    expect(got.headers["interlinked-event-type"]).toBe("room.message.created");
    expect(JSON.parse(got.body)).toMatchObject({ id: ev.id, type: "room.message.created", tenant: "school-a", createdAt: ev.at, data: { room: "signed", seq: 1, text: "m1", messageId: ev.id } });

    const log = await until("the delivered log entry", async () => {
      const res = await adminA.get<{ deliveries: Delivery[] }>(`/v1/webhooks/${endpoint.id}/deliveries`);
      return res.body.deliveries.find((d) => d.eventId === ev.id && d.state === "delivered");
    });
    expect(log).toMatchObject({ attempts: 1, lastStatus: 200 });
    expect(log.latencyMs).toBeGreaterThanOrEqual(0);
    await adminA.del(`/v1/webhooks/${endpoint.id}`);
  });

  it("keeps school-b out of school-a's endpoints and events", async () => {
    const ra = await receiver();
    const rb = await receiver();
    const a = await register(adminA, ra.url, ["room.message.created"]);
    const b = await register(adminB, rb.url, ["room.message.created"]);
    for (const res of [
      await adminB.get(`/v1/webhooks/${a.id}`),
      await adminB.patch(`/v1/webhooks/${a.id}`, { enabled: false }),
      await adminB.get(`/v1/webhooks/${a.id}/deliveries`),
      await adminB.del(`/v1/webhooks/${a.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect((res.body as { error: { code: number } }).error.code).toBe(4000);
    }
    expect((await adminB.get<{ endpoints: Endpoint[] }>("/v1/webhooks")).body.endpoints.map((e) => e.id)).toEqual([b.id]);
    const student = await apiAs(node.url, "school-a", "pupil", "student");
    expect((await student.get("/v1/webhooks")).status).toBe(403);
    expect((await student.post("/v1/webhooks", { url: ra.url, events: ["room.message.created"] })).status).toBe(403);

    const evA = roomMessage("school-a", "iso", 1);
    const evB = roomMessage("school-b", "iso", 1);
    await publishEvents(node.bus, "roomMessages", [evA, evB]);
    await until("both deliveries", () => ra.received.length >= 1 && rb.received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(ra.received.map((x) => JSON.parse(x.body).id)).toEqual([evA.id]);
    expect(rb.received.map((x) => JSON.parse(x.body).id)).toEqual([evB.id]);
    expect((await adminA.patch(`/v1/webhooks/${a.id}`, { enabled: true })).status).toBe(200); // still there
    await adminA.del(`/v1/webhooks/${a.id}`);
    await adminB.del(`/v1/webhooks/${b.id}`);
  });

  it("refuses loopback, private and link-local addresses without the operator setting (registration and delivery)", async () => {
    const client = await apiAs(strict.url, "school-a", "admin-a", "school_admin");
    for (const url of ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/", "http://localhost:3000/", "http://192.168.1.10/", "http://[::ffff:127.0.0.1]/", "ftp://example.com/"]) {
      const res = await client.post<{ error: { code: number } }>("/v1/webhooks", { url, events: ["room.message.created"] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe(1001);
    }
    // at delivery time the resolved addresses are checked again: a name resolving to loopback is refused
    const r = await receiver();
    const sender = new WebhookSender({ timeoutMs: 2_000, allowPrivate: false });
    const outcome = await sender.send({ url: `http://localhost:${r.port}/hook`, secret: "s" }, "{}", {});
    sender.close();
    expect(outcome.ok).toBe(false);
    expect(outcome.status).toBeNull();
    expect(outcome.error).toMatch(/not a public address/);
    expect(r.received).toHaveLength(0);
    // the operator setting allows them (the node the tests deliver through)
    const allowed = await register(adminA, `http://localhost:${r.port}/hook`, ["quota.warning"]);
    await adminA.del(`/v1/webhooks/${allowed.id}`);
  });

  it("derives presence online/offline, class started/ended and quota events", async () => {
    const r = await receiver();
    const endpoint = await register(adminA, r.url, ["presence.online", "presence.offline", "class.started", "class.ended", "quota.warning", "quota.refused"]);
    const session = (id: string, kind: "started" | "ended") =>
      kind === "started"
        ? newEvent("presence.session.started", "school-a", { sessionId: id, user: "kim", role: "student" as const, node: "n1" })
        : newEvent("presence.session.ended", "school-a", { sessionId: id, user: "kim" });
    // two sessions: online once (first starts), offline once (last ends)
    await publishEvents(node.bus, "presence", [session("s1", "started"), session("s2", "started"), session("s1", "ended"), session("s2", "ended")]);
    const classId = randomUUID();
    await publishEvents(node.bus, "classes", [newEvent("class.started", "school-a", { classId }), newEvent("class.ended", "school-a", { classId })]);
    await publishEvents(node.bus, "quota", [newEvent("quota.event", "school-a", { kind: "warning" as const, quota: "messages", used: 8, limit: 10 })]);
    const types = await until("six events", () => (r.received.length >= 5 ? r.received.map((x) => (JSON.parse(x.body) as { type: string }).type) : undefined));
    await new Promise((res) => setTimeout(res, 300));
    const all = r.received.map((x) => JSON.parse(x.body) as { type: string; data: Record<string, unknown> });
    expect(all.filter((e) => e.type.startsWith("presence.")).map((e) => [e.type, e.data.user])).toEqual([
      ["presence.online", "kim"],
      ["presence.offline", "kim"],
    ]);
    expect(all.filter((e) => e.type.startsWith("class.")).map((e) => [e.type, e.data.classId])).toEqual([
      ["class.started", classId],
      ["class.ended", classId],
    ]);
    expect(all.find((e) => e.type === "quota.warning")?.data).toEqual({ quota: "messages", used: 8, limit: 10 });
    expect(types.length).toBeGreaterThanOrEqual(5);
    await adminA.del(`/v1/webhooks/${endpoint.id}`);
  });

  it("derives the same presence webhooks from a packed record of session events as from single records", async () => {
    const r = await receiver();
    const endpoint = await register(adminA, r.url, ["presence.online", "presence.offline"]);
    const started = (id: string, user: string) => newEvent("presence.session.started", "school-a", { sessionId: id, user, role: "student" as const, node: "n1" });
    const ended = (id: string, user: string) => newEvent("presence.session.ended", "school-a", { sessionId: id, user });
    const events = [started("p1", "lou"), started("p2", "max"), ended("p1", "lou"), ended("p2", "max")];
    const packed = packRecords(events.map((ev) => toRecord("presence", ev)));
    expect(packed).toHaveLength(1); // one school: one record
    await node.bus.publish(streams.presence.topic, packed);
    await until("four presence webhooks", () => (r.received.length >= 4 ? true : undefined));
    await new Promise((res) => setTimeout(res, 300));
    const seen = r.received.map((x) => JSON.parse(x.body) as { id: string; type: string; data: { user: string } });
    for (const user of ["lou", "max"]) {
      expect(seen.filter((e) => e.data.user === user).map((e) => e.type)).toEqual(["presence.online", "presence.offline"]);
    }
    expect(seen.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort()); // each webhook carries its session event's id
    await adminA.del(`/v1/webhooks/${endpoint.id}`);
  });

  it("retries with backoff, dead-letters after the schedule, disables a failing endpoint and notifies the school's admins", async () => {
    // the admin is known to the platform (a session of theirs was seen)
    await publishEvents(node.bus, "presence", [newEvent("presence.session.started", "school-a", { sessionId: "adm1", user: "admin-a", role: "school_admin" as const, node: "n1" })]);
    const r = await receiver(() => ({ status: 500 }));
    const endpoint = await register(adminA, r.url, ["room.message.created"]);
    const ev = roomMessage("school-a", "failing", 1);
    await publishEvents(node.bus, "roomMessages", [ev]);
    const dead = await until("the dead delivery", async () => {
      const res = await adminA.get<{ deliveries: Delivery[] }>(`/v1/webhooks/${endpoint.id}/deliveries?state=dead`);
      return res.body.deliveries.find((d) => d.eventId === ev.id);
    });
    expect(dead).toMatchObject({ attempts: 5, lastStatus: 500 });
    expect(r.received.filter((x) => JSON.parse(x.body).id === ev.id)).toHaveLength(5); // 1 + the 4 retries of the schedule
    const gaps = r.received.slice(1).map((x, i) => x.at - (r.received[i] as { at: number }).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(60); // 100 ms steps with ±20 % jitter (and a little clock slack)
    expect(r.received.map((x) => x.headers["interlinked-delivery-attempt"])).toEqual(["1", "2", "3", "4", "5"]);

    // a dead delivery is redelivered on request: one more failure makes six in a row, which disables the endpoint
    expect((await adminA.post(`/v1/webhooks/${endpoint.id}/deliveries/${dead.id}/redeliver`, {})).status).toBe(202);
    const disabled = await until("the endpoint disabled", async () => {
      const res = await adminA.get<Endpoint>(`/v1/webhooks/${endpoint.id}`);
      return res.body.enabled ? undefined : res.body;
    });
    expect(disabled.disabledReason).toMatch(/failed attempts in a row/);
    const notice = await until("the admins' notification", async () => {
      const res = await adminA.get<{ notifications: Array<{ title: string; data: Record<string, unknown> | null }> }>("/v1/notifications");
      return res.body.notifications.find((n) => n.title === "Webhook endpoint disabled");
    });
    expect(notice.data).toMatchObject({ kind: "webhook.disabled", endpointId: endpoint.id });

    // a disabled endpoint gets nothing (events while it is disabled are not queued for it); enabled again, it gets new events
    r.setBehaviour(() => ({ status: 204 }));
    await new Promise((res) => setTimeout(res, ENDPOINT_CACHE_MS + 100)); // the worker's endpoint cache has seen it disabled
    const whileDisabled = roomMessage("school-a", "failing", 2);
    await publishEvents(node.bus, "roomMessages", [whileDisabled]);
    await new Promise((res) => setTimeout(res, 500));
    const enabled = await adminA.patch<Endpoint>(`/v1/webhooks/${endpoint.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, failureStreak: 0, disabledReason: null });
    await new Promise((res) => setTimeout(res, ENDPOINT_CACHE_MS + 100));
    const afterEnabling = roomMessage("school-a", "failing", 3);
    await publishEvents(node.bus, "roomMessages", [afterEnabling]);
    await until("the event after enabling", () => r.received.some((x) => JSON.parse(x.body).id === afterEnabling.id && x.status === 204));
    expect(r.received.some((x) => JSON.parse(x.body).id === whileDisabled.id)).toBe(false);
  });

  it("refuses bad input with numbered errors", async () => {
    expect((await adminA.post<{ error: { code: number } }>("/v1/webhooks", { url: "http://example.com/", events: ["no.such.event"] })).body.error.code).toBe(1001);
    expect((await adminA.post<{ error: { code: number } }>("/v1/webhooks", { url: "not a url", events: ["quota.warning"] })).body.error.code).toBe(1001);
    expect((await adminA.post<{ error: { code: number } }>("/v1/webhooks", { url: "http://example.com/", events: [] })).body.error.code).toBe(1001);
    expect((await adminA.get<{ error: { code: number } }>("/v1/webhooks/not-a-uuid")).body.error.code).toBe(1001);
    expect((await adminA.get(`/v1/webhooks/${randomUUID()}`)).status).toBe(404);
  });
});

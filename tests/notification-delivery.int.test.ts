import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webpush from "web-push";
import { notificationDefaults, type NotificationOptions } from "../core/config";
import { localSecondsOfDay } from "../core/notification-preferences";
import { openDatabase } from "../db/database";
import { NotificationDeliveryStore, type DeliveryRow } from "../db/stores/notification-deliveries";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { connectClient, eventually, nextEvent, recordEvents } from "./support/clients";
import { apiAs, type ApiClient } from "./support/http";
import { mintToken, testConfig } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";
import { PushReceiver } from "./notifications/push-receiver";
import { SmtpSink } from "./notifications/smtp-sink";

const VAPID = webpush.generateVAPIDKeys();
const SUBJECT = "mailto:ops@school.example";
/** Mail per school per minute: each test uses a school of its own for at most this many mails, but the rate test. */
const MAIL_PER_MINUTE = 3;

/** `HH:MM:SS` in `tz`, `offsetSeconds` from now. */
function localTime(tz: string, offsetSeconds: number): string {
  const s = Math.floor((localSecondsOfDay(new Date(), tz) + offsetSeconds + 86_400) % 86_400);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

describe("notification delivery beyond the socket (real PostgreSQL, Redis, SMTP server, push service)", () => {
  const smtp = new SmtpSink();
  const push = new PushReceiver();
  let node: RunningInterlinked;
  let deliveries: NotificationDeliveryStore;
  let closeDb: () => Promise<void>;

  beforeAll(async () => {
    await smtp.start();
    await push.start();
    const databaseUrl = await createTestDatabase();
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    deliveries = new NotificationDeliveryStore(db.db);
    closeDb = () => db.close();
    const notifications: NotificationOptions = {
      ...notificationDefaults,
      smtp: { url: `smtp://127.0.0.1:${smtp.port}`, from: "Interlinked <no-reply@school.example>" },
      vapid: { publicKey: VAPID.publicKey, privateKey: VAPID.privateKey, subject: SUBJECT, extraCaPem: push.certPem },
      mailPerMinute: MAIL_PER_MINUTE,
      retryAttempts: 6,
      retryBaseMs: 300,
      retryMaxMs: 1_000,
      pollMs: 100,
    };
    // the in-memory bus: this file is about the delivery tier (the planner is one more consumer group of the topic)
    node = await startInterlinked(testConfig({ databaseUrl, redisUrl: serviceEnv("REDIS_URL"), namespace: testNamespace(), notifications }));
  }, 60_000);

  afterAll(async () => {
    await node?.close();
    await closeDb?.();
    await smtp.stop();
    await push.stop();
  });

  async function student(tenant: string, user: string, prefs: Record<string, unknown>, pushId?: string): Promise<ApiClient> {
    const api = await apiAs(node.url, tenant, user);
    const put = await api.put("/v1/notifications/preferences", prefs);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    if (pushId) {
      const sub = await api.post("/v1/notifications/push-subscriptions", push.subscribe(pushId).subscription);
      expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    }
    return api;
  }

  async function notify(tenant: string, body: Record<string, unknown>): Promise<string> {
    const teacher = await apiAs(node.url, tenant, "teacher-1", "teacher");
    const res = await teacher.post<{ id: string }>("/v1/notifications", body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id;
  }

  const rows = (tenant: string, id: string): Promise<DeliveryRow[]> => deliveries.ofNotification(tenant, id);

  it("an offline student with email and push enabled receives both: the mail's to/subject/body, the decrypted push and its VAPID JWT", async () => {
    await student("nd-a", "s1", { channels: { email: true, push: true }, email: "s1@school-a.example" }, "a-s1");
    const id = await notify("nd-a", { users: ["s1"], title: "Homework due", body: "Chapter 3 exercises, by Friday." });

    const [mail] = await eventually(async () => smtp.to("s1@school-a.example"), (m) => m.length > 0);
    expect(mail?.subject).toBe("Homework due");
    expect(mail?.body).toBe("Chapter 3 exercises, by Friday.");
    expect(mail?.headers.from).toContain("no-reply@school.example");
    expect(mail?.headers["x-interlinked-notification"]).toBe(id);

    const [got] = await eventually(async () => push.of("a-s1"), (p) => p.length > 0);
    expect(push.failures).toEqual([]);
    expect(JSON.parse(got?.payload ?? "{}")).toMatchObject({ id, title: "Homework due", body: "Chapter 3 exercises, by Friday." });
    expect(got?.vapid.aud).toBe(push.origin);
    expect(got?.vapid.sub).toBe(SUBJECT);
    expect(got?.vapidKey).toBe(VAPID.publicKey);
    expect(Number(got?.vapid.exp)).toBeGreaterThan(Date.now() / 1000);

    const stored = await eventually(() => rows("nd-a", id), (r) => r.length === 2 && r.every((d) => d.status === "delivered"));
    expect(stored.map((d) => d.channel).sort()).toEqual(["email", "push"]);
  });

  it("quiet hours hold email and push (persisted, due at the end) and they are delivered once quiet hours end", async () => {
    const tz = "Asia/Kolkata"; // +05:30: the window is computed in the user's zone, not the server's
    const quietHours = { start: localTime(tz, -60), end: localTime(tz, 4) };
    await student("nd-a", "s2", { channels: { email: true, push: true }, email: "s2@school-a.example", timeZone: tz, quietHours }, "a-s2");
    const sent = Date.now();
    const id = await notify("nd-a", { users: ["s2"], title: "Quiet please", body: "Held until morning." });

    const held = await eventually(() => rows("nd-a", id), (r) => r.length === 2);
    for (const d of held) {
      expect(d.status).toBe("pending");
      expect(d.nextAttemptAt.getTime()).toBeGreaterThan(sent + 1_500);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(smtp.to("s2@school-a.example")).toEqual([]);
    expect(push.of("a-s2")).toEqual([]);

    const [mail] = await eventually(async () => smtp.to("s2@school-a.example"), (m) => m.length > 0, 15_000);
    const [got] = await eventually(async () => push.of("a-s2"), (p) => p.length > 0, 15_000);
    const end = Math.min(...held.map((d) => d.nextAttemptAt.getTime()));
    expect(mail?.at).toBeGreaterThanOrEqual(end);
    expect(got?.at).toBeGreaterThanOrEqual(end);
    expect(mail?.subject).toBe("Quiet please");
  }, 30_000);

  it("a student who turned a feed off receives nothing from it (no mail, push, socket or inbox row), while another subscriber does", async () => {
    const teacher = await apiAs(node.url, "nd-a", "teacher-1", "teacher");
    expect((await teacher.post("/v1/feeds", { feed: "sports", kind: "announcements", title: "Sports" })).status).toBe(201);
    const off = await student("nd-a", "s3", { channels: { email: true, push: true }, email: "s3@school-a.example", feeds: { sports: { inApp: false, email: false, push: false, webhook: false } } }, "a-s3");
    const on = await student("nd-a", "s4", { channels: { email: true, push: true }, email: "s4@school-a.example" }, "a-s4");
    // s7 turned off every announcements feed (the kind of "sports")
    const kindOff = await student("nd-a", "s7", { channels: { email: true }, email: "s7@school-a.example", kinds: { announcements: { inApp: false, email: false, push: false, webhook: false } } });
    expect((await kindOff.put("/v1/feeds/sports/subscription")).status).toBe(204);
    expect((await off.put("/v1/feeds/sports/subscription")).status).toBe(204);
    expect((await on.put("/v1/feeds/sports/subscription")).status).toBe(204);
    // s3 also listens on a socket: in-app off for the feed means no live push either
    const socket = await connectClient(node.url, await mintToken("nd-a", "s3"));
    const pushed = recordEvents<unknown>(socket, "notification");
    try {
      const teacher2 = await apiAs(node.url, "nd-a", "teacher-1", "teacher");
      const published = await teacher2.post<{ id: string; recipients: number }>("/v1/notifications", { feed: "sports", title: "Match moved", body: "Saturday 10:00." });
      expect(published.body.recipients).toBe(1); // s4 only: s3 turned the feed off, s7 its kind
      const id = published.body.id;
      await eventually(async () => [...smtp.to("s4@school-a.example"), ...push.of("a-s4")], (r) => r.length === 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.to("s3@school-a.example")).toEqual([]);
      expect(smtp.to("s7@school-a.example")).toEqual([]);
      expect((await kindOff.get<{ notifications: Array<{ id: string }> }>("/v1/notifications")).body.notifications.map((n) => n.id)).not.toContain(id);
      expect(push.of("a-s3")).toEqual([]);
      expect(pushed).toEqual([]);
      expect((await rows("nd-a", id)).filter((d) => d.user === "s3")).toEqual([]);
      const inbox = await off.get<{ notifications: Array<{ id: string }> }>("/v1/notifications");
      expect(inbox.body.notifications.map((n) => n.id)).not.toContain(id);
      expect((await on.get<{ notifications: Array<{ id: string }> }>("/v1/notifications")).body.notifications.map((n) => n.id)).toContain(id);
    } finally {
      socket.disconnect();
    }
  });

  it("an online student gets the notification in-app only; with whenOnline 'all' every enabled channel too", async () => {
    await student("nd-online", "s5", { channels: { email: true, push: true }, email: "s5@school-a.example" }, "a-s5");
    await student("nd-online", "s6", { channels: { email: true, push: true }, email: "s6@school-a.example", whenOnline: "all" }, "a-s6");
    const s5 = await connectClient(node.url, await mintToken("nd-online", "s5"));
    const s6 = await connectClient(node.url, await mintToken("nd-online", "s6"));
    try {
      const live = nextEvent<{ id: string; title: string }>(s5, "notification");
      const id = await notify("nd-online", { users: ["s5", "s6"], title: "Class starts", body: "Room 2." });
      expect(await live).toMatchObject({ id, title: "Class starts" });
      await eventually(async () => [...smtp.to("s6@school-a.example"), ...push.of("a-s6")], (r) => r.length === 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.to("s5@school-a.example")).toEqual([]);
      expect(push.of("a-s5")).toEqual([]);
      expect((await rows("nd-online", id)).map((d) => d.user)).toEqual(["s6", "s6"]);
    } finally {
      s5.disconnect();
      s6.disconnect();
    }
  });

  it("SMTP server down: the mail is retried with backoff, then delivered when it is back", async () => {
    await student("nd-down", "s1", { channels: { email: true }, email: "down@school.example" });
    const port = smtp.port;
    await smtp.stop();
    let id = "";
    try {
      id = await notify("nd-down", { users: ["s1"], title: "Retry me", body: "Eventually." });
      const failing = await eventually(() => rows("nd-down", id), (r) => (r[0]?.attempts ?? 0) >= 2, 15_000);
      expect(failing[0]?.status).toBe("pending");
      expect(failing[0]?.lastError).toMatch(/smtp/);
    } finally {
      await smtp.start(port);
    }
    const [mail] = await eventually(async () => smtp.to("down@school.example"), (m) => m.length > 0, 15_000);
    expect(mail?.subject).toBe("Retry me");
    const done = await eventually(() => rows("nd-down", id), (r) => r[0]?.status === "delivered");
    expect(done[0]?.attempts).toBeGreaterThanOrEqual(3);
  }, 40_000);

  it("a push subscription the push service says is gone (410) is dead-lettered at once and removed; the school admin lists and requeues dead deliveries", async () => {
    const api = await student("nd-gone", "s1", { channels: { push: true } }, "gone-s1");
    push.statusFor.set("/push/gone-s1", 410);
    const id = await notify("nd-gone", { users: ["s1"], title: "Anyone?", body: "" });
    const [dead] = await eventually(() => rows("nd-gone", id), (r) => r[0]?.status === "dead");
    expect(dead?.attempts).toBe(1);
    expect(dead?.lastError).toMatch(/gone \(410\)/);
    const again = await api.del("/v1/notifications/push-subscriptions");
    expect(again.status).toBe(400); // a JSON body is required
    const del = await fetch(`${node.url}/v1/notifications/push-subscriptions`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: `${push.origin}/push/gone-s1` }),
    });
    expect(del.status).toBe(404); // already removed by the 410

    // the school's admin lists its dead deliveries and requeues them; another school's admin sees nothing of them
    const admin = await apiAs(node.url, "nd-gone", "head", "school_admin");
    const listed = await admin.get<{ deliveries: Array<{ id: string; status: string; lastError: string }> }>("/v1/tenants/nd-gone/notification-deliveries?status=dead");
    expect(listed.status).toBe(200);
    expect(listed.body.deliveries.map((d) => d.id)).toEqual([dead?.id]);
    const other = await apiAs(node.url, "nd-other", "head", "school_admin");
    expect((await other.get("/v1/tenants/nd-gone/notification-deliveries")).status).toBe(404);
    expect((await other.post("/v1/tenants/nd-gone/notification-deliveries/retry", { ids: [dead?.id] })).status).toBe(404);
    expect((await other.post<{ requeued: number }>("/v1/tenants/nd-other/notification-deliveries/retry", { ids: [dead?.id] })).body.requeued).toBe(0);
    expect((await api.get("/v1/tenants/nd-gone/notification-deliveries")).status).toBe(403); // a student
    push.statusFor.delete("/push/gone-s1");
    expect((await admin.post<{ requeued: number }>("/v1/tenants/nd-gone/notification-deliveries/retry", { ids: [dead?.id] })).body.requeued).toBe(1);
    await eventually(() => rows("nd-gone", id), (r) => r[0]?.status === "delivered");
    expect(push.of("gone-s1")).toHaveLength(1);
  });

  it("the per-school mail rate holds: over the limit mail waits (pending, not attempted, not dropped); another school is not held", async () => {
    const users = ["r1", "r2", "r3", "r4", "r5"];
    for (const u of users) await student("nd-rate", u, { channels: { email: true }, email: `${u}@rate.example` });
    await student("nd-rate-other", "o1", { channels: { email: true }, email: "o1@other.example" });
    const id = await notify("nd-rate", { users, title: "Bulk", body: "Five at once." });
    const start = Date.now();
    await eventually(async () => users.flatMap((u) => smtp.to(`${u}@rate.example`)), (m) => m.length === MAIL_PER_MINUTE);
    const r = await eventually(() => rows("nd-rate", id), (rs) => rs.filter((d) => d.status === "delivered").length === MAIL_PER_MINUTE && rs.filter((d) => d.attempts === 0).length === 2);
    for (const d of r.filter((x) => x.status === "pending")) {
      expect(d.attempts).toBe(0);
      expect(d.nextAttemptAt.getTime()).toBeGreaterThan(start + 10_000); // waits for the next minute's window
    }
    await new Promise((res) => setTimeout(res, 500));
    expect(users.flatMap((u) => smtp.to(`${u}@rate.example`))).toHaveLength(MAIL_PER_MINUTE);
    // the limit is per school
    await notify("nd-rate-other", { users: ["o1"], title: "Other school", body: "" });
    await eventually(async () => smtp.to("o1@other.example"), (m) => m.length === 1);
  });

  it("preference routes: each user reads and writes only their own, per school; bad input gets numbered errors", async () => {
    const a = await student("nd-iso-a", "same-user", { channels: { email: true }, email: "a@iso.example", timeZone: "Europe/Paris" }, "iso-a");
    const b = await apiAs(node.url, "nd-iso-b", "same-user");
    const bPrefs = await b.get<{ email: string | null; channels: Record<string, boolean> }>("/v1/notifications/preferences");
    expect(bPrefs.status).toBe(200);
    expect(bPrefs.body.email).toBeNull(); // school-b's same-named user sees the defaults, not school-a's document
    expect(bPrefs.body.channels).toEqual({ inApp: true, email: false, push: false, webhook: false });
    // school-b cannot remove school-a's push subscription
    const del = await fetch(`${node.url}/v1/notifications/push-subscriptions`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: `${push.origin}/push/iso-a` }),
    });
    expect(del.status).toBe(404);
    expect((await a.get<{ email: string }>("/v1/notifications/preferences")).body.email).toBe("a@iso.example");

    const bad: Array<[string, string, unknown]> = [
      ["PUT", "/v1/notifications/preferences", { timeZone: "Mars/Olympus" }],
      ["PUT", "/v1/notifications/preferences", { timeZone: "Europe/Paris\u0000" }],
      ["PUT", "/v1/notifications/preferences", { email: "not-an-address" }],
      ["PUT", "/v1/notifications/preferences", { email: "a\u0000@b.example" }],
      ["PUT", "/v1/notifications/preferences", { quietHours: { start: "25:00", end: "07:00" } }],
      ["PUT", "/v1/notifications/preferences", { channels: { sms: true } }],
      ["PUT", "/v1/notifications/preferences", { feeds: { "bad feed!": { email: true } } }],
      ["POST", "/v1/notifications/push-subscriptions", { endpoint: "http://127.0.0.1/push/x", keys: push.subscribe("x").subscription.keys }],
      ["POST", "/v1/notifications/push-subscriptions", { endpoint: "not a url", keys: push.subscribe("y").subscription.keys }],
      ["POST", "/v1/notifications/push-subscriptions", { endpoint: "https://push.example/\u0000", keys: push.subscribe("z").subscription.keys }],
      ["POST", "/v1/notifications/push-subscriptions", { endpoint: "https://push.example/x", keys: { p256dh: "AAAA", auth: "AAAA" } }],
    ];
    for (const [method, path, body] of bad) {
      const res = await fetch(`${node.url}${path}`, { method, headers: { authorization: `Bearer ${a.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const json = (await res.json()) as { error?: { code?: number } };
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(json.error?.code, JSON.stringify(body)).toBe(1001);
    }
  });
});

import { randomUUID } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newEvent } from "../core/contracts/streams";
import { ErrorCode } from "../core/errors";
import { connectClient, eventually, nextEvent } from "./support/clients";
import { apiAs, type ApiClient } from "./support/http";
import { mintToken, type Deployment } from "./support/nodes";

/** Every route the API must document and serve (method path, OpenAPI style). */
export const EXPECTED_ROUTES = [
  "get /health/live", "get /health/ready", "get /metrics", "post /v1/dev/tokens",
  "get /v1/rooms", "post /v1/rooms", "get /v1/rooms/{room}", "get /v1/rooms/{room}/members",
  "put /v1/rooms/{room}/members/{user}", "delete /v1/rooms/{room}/members/{user}", "get /v1/rooms/{room}/messages",
  "get /v1/conversations", "post /v1/conversations", "get /v1/conversations/{id}", "get /v1/conversations/{id}/messages",
  "get /v1/notifications", "post /v1/notifications", "post /v1/notifications/read",
  "get /v1/notifications/preferences", "put /v1/notifications/preferences", "post /v1/notifications/push-subscriptions", "delete /v1/notifications/push-subscriptions",
  "get /v1/tenants/{tenant}/notification-deliveries", "post /v1/tenants/{tenant}/notification-deliveries/retry",
  "get /v1/feeds", "post /v1/feeds", "put /v1/feeds/{feed}/subscription", "delete /v1/feeds/{feed}/subscription",
  "post /v1/classes", "get /v1/classes", "get /v1/classes/{id}", "get /v1/classes/{id}/attendance",
  "get /v1/tenants/{tenant}/usage", "get /v1/tenants/{tenant}/quotas", "put /v1/tenants/{tenant}/quotas",
  "post /v1/tenants/{tenant}/users/{user}/revoke",
  "get /v1/classes/{id}/attendance.csv", "get /v1/classes/{id}/roster", "put /v1/classes/{id}/roster",
  "get /v1/admin/overview", "get /v1/admin/nodes", "get /v1/admin/dead-letters", "post /v1/admin/dead-letters/replay",
  "get /v1/admin/schools/{tenant}/rooms", "get /v1/admin/schools/{tenant}/rooms/{room}/members", "get /v1/admin/schools/{tenant}/classes",
  "get /v1/admin/schools/{tenant}/classes/{id}/attendance", "get /v1/admin/schools/{tenant}/classes/{id}/attendance.csv",
  "get /v1/classes/{id}/recordings", "get /v1/classes/{id}/recordings/{rid}/file", "get /v1/recording-settings", "put /v1/recording-settings",
  "get /v1/webhooks", "post /v1/webhooks", "get /v1/webhooks/{id}", "patch /v1/webhooks/{id}", "delete /v1/webhooks/{id}",
  "get /v1/webhooks/{id}/deliveries", "post /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
  "get /v1/api-keys", "post /v1/api-keys", "delete /v1/api-keys/{id}", "post /v1/api-keys/{id}/rotate",
  "post /v1/server/rooms/{room}/messages", "post /v1/server/conversations/{id}/messages", "post /v1/server/notifications",
  "post /v1/server/users/{user}/disconnect", "get /v1/server/rooms/{room}/presence", "get /v1/server/connections",
].sort();

type Body = Record<string, unknown> & { error?: { code: number } };
const code = (r: { body: Body }) => r.body.error?.code;

/** The REST API contract, run against each deployment mode. */
export function runApiContract(mode: string, start: () => Promise<Deployment>): void {
  describe(`REST API: ${mode}`, () => {
    let deployment: Deployment;
    let url: string;
    const as = (tenant: string, user: string, role: Parameters<typeof apiAs>[3] = "student"): Promise<ApiClient> => apiAs(url, tenant, user, role);
    const publish: Deployment["publish"] = (stream, events) => deployment.publish(stream, events);
    // Each run uses fresh tenants so the suite can share a database with others.
    const run = randomUUID().slice(0, 8);
    const A = `a-${run}`;
    const B = `b-${run}`;

    beforeAll(async () => {
      deployment = await start();
      url = (deployment.nodes[0] ?? expect.fail("no node")).url;
    }, 60_000);
    afterAll(async () => deployment?.close());

    it("serves a valid OpenAPI 3.1 document listing every route, and requires a token on each /v1 route", async () => {
      const doc = (await (await fetch(`${url}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toBe("3.1.0");
      const validation = await new Validator().validate(doc as never);
      expect(validation.errors ?? []).toEqual([]);
      expect(validation.valid).toBe(true);
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
      expect(documented).toEqual(EXPECTED_ROUTES);
      for (const route of EXPECTED_ROUTES.filter((r) => r.includes("/v1/") && !r.includes("dev/tokens"))) {
        const [method, path] = route.split(" ") as [string, string];
        const concrete = path.replace("{room}", "r1").replace("{user}", "u1").replace("{feed}", "f1").replace("{tenant}", A).replace("{id}", randomUUID()).replace("{rid}", randomUUID()).replace("{deliveryId}", randomUUID());
        const res = await fetch(`${url}${concrete}`, { method: method.toUpperCase() });
        expect({ route, status: res.status, code: ((await res.json()) as Body).error?.code }).toEqual({ route, status: 401, code: ErrorCode.Unauthorized });
      }
    });

    it("rooms: staff create, visibility of private rooms, members, pagination, cross-tenant", async () => {
      const teacher = await as(A, "t1", "teacher");
      const student = await as(A, "s1");
      const outsider = await as(B, "t9", "teacher");
      expect((await teacher.post("/v1/rooms", { room: "open", title: "Open" })).status).toBe(201);
      expect(await teacher.post("/v1/rooms", { room: "secret", title: "Secret", private: true })).toMatchObject({ status: 201, body: { private: true, createdBy: "t1" } });
      expect(code(await teacher.post("/v1/rooms", { room: "open", title: "again" }))).toBe(ErrorCode.Conflict);
      expect(code(await student.post("/v1/rooms", { room: "mine", title: "x" }))).toBe(ErrorCode.Forbidden);
      expect(code(await teacher.post("/v1/rooms", { room: "bad:name", title: "x" }))).toBe(ErrorCode.InvalidRoomName);
      expect(code(await teacher.post("/v1/rooms", "{oops"))).toBe(ErrorCode.InvalidPayload);

      const names = async (c: ApiClient, q = "") => ((await c.get<{ rooms: Array<{ room: string }> }>(`/v1/rooms${q}`)).body.rooms ?? []).map((r) => r.room);
      expect(await names(student)).toEqual(["open"]);
      expect(await names(teacher)).toEqual(["open", "secret"]);
      expect(await names(teacher, "?limit=1")).toEqual(["open"]);
      expect(await names(teacher, "?after=open")).toEqual(["secret"]);
      expect(await names(outsider)).toEqual([]);
      expect((await student.get("/v1/rooms/secret")).status).toBe(404);
      expect((await student.get("/v1/rooms/secret/messages")).status).toBe(404);
      expect((await outsider.get("/v1/rooms/open")).status).toBe(404);

      expect((await student.put("/v1/rooms/secret/members/s1")).status).toBe(403);
      expect((await teacher.put("/v1/rooms/secret/members/s1")).status).toBe(204);
      expect(await names(student)).toEqual(["open", "secret"]);
      const members = await student.get<{ members: Array<{ user: string }>; nextAfter: string | null }>("/v1/rooms/secret/members?limit=1");
      expect(members.body).toMatchObject({ members: [{ user: "s1" }], nextAfter: "s1" });
      expect((await student.get<{ members: Array<{ user: string }> }>("/v1/rooms/secret/members?after=s1")).body.members.map((m) => m.user)).toEqual(["t1"]);
      expect((await student.del("/v1/rooms/secret/members/t1")).status).toBe(403);
      expect((await student.del("/v1/rooms/secret/members/s1")).status).toBe(204);
      expect((await student.del("/v1/rooms/secret/members/s1")).status).toBe(404);
      expect((await outsider.del("/v1/rooms/secret/members/t1")).status).toBe(404);
    });

    it("room history pages by sequence and stays inside the tenant", async () => {
      const reader = await as(A, "r1");
      await publish("roomMessages", [1, 2, 3, 4, 5].map((seq) => newEvent("room.message.created", A, { room: "hist", seq, user: "u", text: `m${seq}` })));
      await publish("roomMessages", [newEvent("room.message.created", B, { room: "hist", seq: 1, user: "u", text: "b-only" })]);
      const page = (q: string) => reader.get<{ messages: Array<{ seq: number }>; nextAfter: number | null }>(`/v1/rooms/hist/messages${q}`);
      await eventually(() => page(""), (r) => r.body.messages?.length === 5);
      expect((await page("?after=1&limit=2")).body).toMatchObject({ messages: [{ seq: 2 }, { seq: 3 }], nextAfter: 3 });
      expect((await page("?after=3&before=5")).body.messages.map((m) => m.seq)).toEqual([4]);
      expect(code(await page("?limit=0"))).toBe(ErrorCode.InvalidPayload);
      expect(code(await page("?after=-1"))).toBe(ErrorCode.InvalidPayload);
      const other = await as(B, "r2");
      expect((await other.get<{ messages: Array<{ text: string }> }>("/v1/rooms/hist/messages")).body.messages.map((m) => m.text)).toEqual(["b-only"]);
    });

    it("conversations: one direct per pair, groups, unread counts from receipts, members only", async () => {
      const ann = await as(A, "ann");
      const bob = await as(A, "bob");
      const eve = await as(A, "eve");
      const direct = await ann.post<{ id: string; members: string[] }>("/v1/conversations", { kind: "direct", user: "bob" });
      expect(direct).toMatchObject({ status: 201, body: { members: ["ann", "bob"] } });
      expect(await bob.post("/v1/conversations", { kind: "direct", user: "ann" })).toMatchObject({ status: 200, body: { id: direct.body.id } });
      expect(code(await ann.post("/v1/conversations", { kind: "direct", user: "ann" }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await ann.post("/v1/conversations", { kind: "group", members: [] }))).toBe(ErrorCode.InvalidPayload);
      const group = await ann.post<{ id: string }>("/v1/conversations", { kind: "group", title: "Study", members: ["bob", "eve"] });
      expect(group.status).toBe(201);

      const id = direct.body.id;
      await publish("chat", [1, 2, 3].map((seq) => newEvent("chat.message.created", A, { conversationId: id, seq, user: "ann", text: `c${seq}` })));
      await publish("chat", [newEvent("chat.receipt", A, { conversationId: id, user: "bob", kind: "read" as const, upToSeq: 1 })]);
      const bobs = () => bob.get<{ conversations: Array<{ id: string; unread: number; lastSeq: number }> }>("/v1/conversations");
      const listed = await eventually(bobs, (r) => r.body.conversations?.find((c) => c.id === id)?.unread === 2);
      expect(listed.body.conversations.find((c) => c.id === id)).toMatchObject({ lastSeq: 3, unread: 2 });
      expect((await bob.get<{ messages: Array<{ seq: number }> }>(`/v1/conversations/${id}/messages?after=1&limit=1`)).body).toMatchObject({ messages: [{ seq: 2 }], nextAfter: 2 });
      expect((await eve.get(`/v1/conversations/${id}`)).status).toBe(404);
      expect((await eve.get(`/v1/conversations/${id}/messages`)).status).toBe(404);
      expect((await eve.get(`/v1/conversations/${group.body.id}`)).status).toBe(200);
      expect((await (await as(B, "ann")).get(`/v1/conversations/${id}`)).status).toBe(404);
      expect(code(await bob.get("/v1/conversations/not-a-uuid"))).toBe(ErrorCode.InvalidPayload);
    });

    it("notifications: staff publish to users and feeds, the worker stores and pushes them, users mark them read", async () => {
      const teacher = await as(A, "teach", "teacher");
      const sam = await as(A, "sam");
      const socket = await connectClient(url, await mintToken(A, "sam"));
      const pushed = nextEvent<{ title: string }>(socket, "notification");
      const sent = await teacher.post<{ id: string; recipients: number }>("/v1/notifications", { users: ["sam", "kim"], title: "Homework", body: "p. 12" });
      expect(sent).toMatchObject({ status: 202, body: { recipients: 2 } });
      expect((await pushed).title).toBe("Homework");
      socket.close();
      expect(code(await sam.post("/v1/notifications", { users: ["kim"], title: "x" }))).toBe(ErrorCode.Forbidden);
      expect(code(await teacher.post("/v1/notifications", { users: ["kim"], feed: "news", title: "x" }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await teacher.post("/v1/notifications", { feed: "nope", title: "x" }))).toBe(ErrorCode.NotFound);

      expect((await teacher.post("/v1/feeds", { feed: "news", kind: "announcements", title: "News" })).status).toBe(201);
      expect(code(await teacher.post("/v1/notifications", { feed: "news", title: "x" }))).toBe(ErrorCode.Conflict);
      expect((await sam.put("/v1/feeds/news/subscription")).status).toBe(204);
      expect(await teacher.post("/v1/notifications", { feed: "news", title: "Assembly" })).toMatchObject({ status: 202, body: { recipients: 1 } });

      type Page = { notifications: Array<{ id: string; title: string; feed: string | null; readAt: string | null }>; unread: number; nextBefore: string | null };
      const mine = await eventually(() => sam.get<Page>("/v1/notifications"), (r) => r.body.notifications?.length === 2);
      expect(mine.body.unread).toBe(2);
      expect(mine.body.notifications.map((n) => [n.title, n.feed])).toEqual([["Assembly", "news"], ["Homework", null]]);
      const newest = mine.body.notifications[0]?.id as string;
      expect((await sam.get<Page>("/v1/notifications?limit=1")).body.nextBefore).not.toBeNull();
      expect(await sam.post("/v1/notifications/read", { ids: [newest] })).toMatchObject({ status: 200, body: { marked: 1 } });
      expect((await sam.get<Page>("/v1/notifications?unread=true")).body).toMatchObject({ unread: 1, notifications: [{ title: "Homework" }] });
      expect(await sam.post("/v1/notifications/read", { all: true })).toMatchObject({ body: { marked: 1 } });
      expect(code(await sam.post("/v1/notifications/read", { ids: ["x"] }))).toBe(ErrorCode.InvalidPayload);
      expect((await (await as(B, "sam")).get<Page>("/v1/notifications")).body.notifications).toEqual([]);
    });

    it("feeds: staff create, everyone lists and subscribes themselves", async () => {
      const admin = await as(A, "adm", "admin");
      const stu = await as(A, "stu");
      expect(await admin.post("/v1/feeds", { feed: "algebra", kind: "course", title: "Algebra" })).toMatchObject({ status: 201, body: { subscribed: false } });
      expect(code(await admin.post("/v1/feeds", { feed: "algebra", kind: "course", title: "Again" }))).toBe(ErrorCode.Conflict);
      expect(code(await stu.post("/v1/feeds", { feed: "mine", kind: "course", title: "x" }))).toBe(ErrorCode.Forbidden);
      expect(code(await admin.post("/v1/feeds", { feed: "x", kind: "podcast", title: "x" }))).toBe(ErrorCode.InvalidPayload);
      expect((await stu.put("/v1/feeds/algebra/subscription")).status).toBe(204);
      const list = async () => (await stu.get<{ feeds: Array<{ feed: string; subscribed: boolean }> }>("/v1/feeds")).body.feeds.find((f) => f.feed === "algebra");
      expect(await list()).toMatchObject({ subscribed: true });
      expect((await stu.del("/v1/feeds/algebra/subscription")).status).toBe(204);
      expect(await list()).toMatchObject({ subscribed: false });
      expect((await stu.put("/v1/feeds/missing/subscription")).status).toBe(404);
      expect((await (await as(B, "stu")).put("/v1/feeds/algebra/subscription")).status).toBe(404);
    });

    it("classes: staff schedule, attendance report for the teacher and admins only", async () => {
      const teacher = await as(A, "mrs-t", "teacher");
      const other = await as(A, "mr-o", "teacher");
      const admin = await as(A, "boss", "school_admin");
      const kid = await as(A, "kid");
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const created = await teacher.post<{ id: string; teacher: string }>("/v1/classes", { title: "Biology", room: "bio-1", scheduledAt: at });
      expect(created).toMatchObject({ status: 201, body: { teacher: "mrs-t", startedAt: null } });
      expect(code(await kid.post("/v1/classes", { title: "x", room: "r", scheduledAt: at }))).toBe(ErrorCode.Forbidden);
      expect(code(await teacher.post("/v1/classes", { title: "x", room: "r", scheduledAt: "tomorrow" }))).toBe(ErrorCode.InvalidPayload);
      const id = created.body.id;
      expect((await kid.get<{ classes: Array<{ id: string }> }>("/v1/classes")).body.classes.map((c) => c.id)).toContain(id);
      expect((await kid.get(`/v1/classes/${id}`)).status).toBe(200);
      expect((await (await as(B, "kid")).get(`/v1/classes/${id}`)).status).toBe(404);

      const t0 = Date.now() - 60_000;
      const ev = (user: string, kind: "joined" | "left", s: number) => ({ ...newEvent("class.attendance", A, { classId: id, user, kind }), at: new Date(t0 + s * 1000).toISOString() });
      await publish("attendance", [ev("kid", "joined", 0), ev("kid", "left", 10), ev("kid", "joined", 20), ev("kid", "left", 50), ev("pal", "joined", 5)]);
      type Report = { participants: Array<{ user: string; secondsPresent: number; reconnects: number; present: boolean }> };
      const report = await eventually(() => teacher.get<Report>(`/v1/classes/${id}/attendance`), (r) => r.body.participants?.length === 2);
      expect(report.body.participants[0]).toMatchObject({ user: "kid", secondsPresent: 40, reconnects: 1, present: false });
      expect(report.body.participants[1]).toMatchObject({ user: "pal", present: true });
      expect((await other.get(`/v1/classes/${id}/attendance`)).status).toBe(403);
      expect((await kid.get(`/v1/classes/${id}/attendance`)).status).toBe(403);
      expect((await admin.get(`/v1/classes/${id}/attendance`)).status).toBe(200);
    });

    it("class rosters: staff read and replace them (numbered errors, another school 404), attendance marks absent and guests", async () => {
      const teacher = await as(A, "ros-t", "teacher");
      const kid = await as(A, "ros-kid");
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const id = (await teacher.post<{ id: string }>("/v1/classes", { title: "Rostered", room: "ros-r", scheduledAt: at })).body.id;
      expect(await teacher.get(`/v1/classes/${id}/roster`)).toMatchObject({ status: 200, body: { classId: id, mode: "school", updatedBy: null } });
      expect(await teacher.put(`/v1/classes/${id}/roster`, { mode: "list", users: ["zed", "amy", "amy"] })).toMatchObject({ status: 200, body: { mode: "list", users: ["amy", "zed"], updatedBy: "ros-t" } });
      expect(await teacher.get(`/v1/classes/${id}/roster`)).toMatchObject({ status: 200, body: { mode: "list", users: ["amy", "zed"] } });
      // bad input: numbered errors
      expect(code(await teacher.put(`/v1/classes/${id}/roster`, { mode: "everyone" }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await teacher.put(`/v1/classes/${id}/roster`, { mode: "list", users: ["bad user!"] }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await teacher.put(`/v1/classes/${id}/roster`, { mode: "list", users: [], extra: 1 }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await teacher.put(`/v1/classes/${id}/roster`, { mode: "room", room: "no-such-room" }))).toBe(ErrorCode.NotFound);
      expect(code(await teacher.put(`/v1/classes/${randomUUID()}/roster`, { mode: "school" }))).toBe(ErrorCode.NotFound);
      // students may not read or change it
      expect(code(await kid.get(`/v1/classes/${id}/roster`))).toBe(ErrorCode.Forbidden);
      expect(code(await kid.put(`/v1/classes/${id}/roster`, { mode: "school" }))).toBe(ErrorCode.Forbidden);
      // tenant isolation: a teacher of another school sees no such class
      const otherSchool = await as(B, "ros-t", "teacher");
      expect((await otherSchool.get(`/v1/classes/${id}/roster`)).status).toBe(404);
      expect((await otherSchool.put(`/v1/classes/${id}/roster`, { mode: "school" })).status).toBe(404);
      expect(await teacher.get(`/v1/classes/${id}/roster`)).toMatchObject({ body: { mode: "list", users: ["amy", "zed"] } });
      // a room roster: the room's members
      expect((await teacher.post("/v1/rooms", { room: "ros-room", title: "Roster room", private: true })).status).toBe(201);
      expect((await teacher.put("/v1/rooms/ros-room/members/amy")).status).toBe(204);
      expect(await teacher.put(`/v1/classes/${id}/roster`, { mode: "room", room: "ros-room" })).toMatchObject({ status: 200, body: { mode: "room", room: "ros-room" } });
      // attendance: amy and ros-t (room members) never joined → absent; a joined outsider → guest; the teacher → member
      const ev = (user: string, kind: "joined" | "left") => newEvent("class.attendance", A, { classId: id, user, kind });
      await publish("attendance", [ev("ros-t", "joined"), ev("outsider", "joined")]);
      type Report = { participants: Array<{ user: string; status?: string; firstJoin: string | null }> };
      const report = await eventually(() => teacher.get<Report>(`/v1/classes/${id}/attendance`), (r) => r.body.participants?.length === 3);
      expect(report.body.participants.map((p) => [p.user, p.status])).toEqual([
        ["amy", "absent"],
        ["outsider", "guest"],
        ["ros-t", "member"],
      ]);
      expect(report.body.participants[0]?.firstJoin).toBeNull();
      const csv = await fetch(`${url}/v1/classes/${id}/attendance.csv`, { headers: { authorization: `Bearer ${teacher.token}` } });
      const lines = (await csv.text()).trim().split("\r\n");
      expect(lines[0]).toBe("user,firstJoin,lastLeave,secondsPresent,reconnects,present,status");
      expect(lines[1]).toBe("amy,,,0,0,false,absent");
    });

    it("tenants: school_admin reads its own usage and quotas, super_admin overrides any", async () => {
      const schoolAdmin = await as(A, "head", "school_admin");
      const root = await as("platform", "root", "super_admin");
      expect(await schoolAdmin.get(`/v1/tenants/${A}/usage`)).toMatchObject({ status: 200, body: { tenant: A, quotas: { maxConnections: 100 } } });
      expect((await schoolAdmin.get(`/v1/tenants/${B}/usage`)).status).toBe(404);
      expect((await (await as(A, "t", "teacher")).get(`/v1/tenants/${A}/quotas`)).status).toBe(403);
      expect(code(await schoolAdmin.put(`/v1/tenants/${A}/quotas`, { maxConnections: 1000 }))).toBe(ErrorCode.Forbidden);
      expect(await root.put(`/v1/tenants/${A}/quotas`, { maxConnections: 250 })).toMatchObject({ status: 200, body: { quotas: { maxConnections: 250 }, overrides: { maxConnections: 250 } } });
      expect((await schoolAdmin.get(`/v1/tenants/${A}/quotas`)).body).toMatchObject({ quotas: { maxConnections: 250, maxMessagesPerSecond: 1000 } });
      expect((await root.put(`/v1/tenants/${A}/quotas`, { maxConnections: null })).body).toMatchObject({ quotas: { maxConnections: 100 } });
      expect(code(await root.put(`/v1/tenants/${A}/quotas`, { maxConnections: -1 }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await root.put(`/v1/tenants/${A}/quotas`, { unknownQuota: 1 }))).toBe(ErrorCode.InvalidPayload);
      expect((await root.get(`/v1/tenants/${B}/usage`)).status).toBe(200);
    });

    it("revokes a user's tokens issued before a moment: 2006 on REST at once, others untouched, newer tokens accepted", async () => {
      const kid = await as(A, "revoked-kid");
      const mate = await as(A, "revoked-mate");
      const namesake = await as(B, "revoked-kid");
      expect((await kid.get("/v1/feeds")).status).toBe(200);
      const admin = await as(A, "principal", "school_admin");
      expect((await (await as(A, "t", "teacher")).post(`/v1/tenants/${A}/users/revoked-kid/revoke`, {})).status).toBe(403);
      expect((await (await as(A, "t", "teacher")).post("/v1/tenants/Bad%20School/users/x:y/revoke", { before: "never" })).status).toBe(403); // role first, whatever the request
      expect((await (await as(B, "principal", "school_admin")).post(`/v1/tenants/${A}/users/revoked-kid/revoke`, {})).status).toBe(404);
      expect(code(await admin.post(`/v1/tenants/${A}/users/revoked-kid/revoke`, { before: "2026-13-01T00:00:00Z" }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await admin.post(`/v1/tenants/${A}/users/revoked-kid/revoke`, { after: "now" }))).toBe(ErrorCode.InvalidPayload);
      const res = await admin.post<{ before: string }>(`/v1/tenants/${A}/users/revoked-kid/revoke`, undefined);
      expect(res).toMatchObject({ status: 200, body: { tenant: A, user: "revoked-kid" } });
      const older = new Date(Date.parse(res.body.before) - 60_000).toISOString();
      expect((await admin.post(`/v1/tenants/${A}/users/revoked-kid/revoke`, { before: older })).body).toMatchObject({ before: res.body.before });
      expect(await kid.get("/v1/feeds")).toMatchObject({ status: 401, body: { error: { code: ErrorCode.TokenRevoked } } });
      expect((await mate.get("/v1/feeds")).status).toBe(200);
      expect((await namesake.get("/v1/feeds")).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 50)); // iat has second precision
      expect((await (await as(A, "revoked-kid")).get("/v1/feeds")).status).toBe(200);
    });

    it("answers as its OpenAPI document says: 405 with Allow, roles before validation, a required body, offsets, declared limits", async () => {
      const root = await as(A, "root", "super_admin");
      const teacher = await as(A, "t-doc", "teacher");
      const student = await as(A, "s-doc");
      const auth = { authorization: `Bearer ${root.token}` };

      // an undocumented method on a documented path: 405, the methods it has, a numbered error
      for (const [method, path, allow] of [["PATCH", "/v1/rooms", "GET, HEAD, POST"], ["OPTIONS", "/health/live", "GET, HEAD"], ["DELETE", `/v1/tenants/${A}/quotas`, "GET, HEAD, PUT"]] as const) {
        const res = await fetch(`${url}${path}`, { method, headers: auth });
        expect({ path, status: res.status, allow: res.headers.get("allow"), code: ((await res.json()) as Body).error?.code }).toEqual({ path, status: 405, allow, code: ErrorCode.MethodNotAllowed });
      }
      expect(await (await fetch(`${url}/v1/nowhere`, { method: "PATCH", headers: auth })).json()).toMatchObject({ error: { code: ErrorCode.NotFoundRoute } });

      // a route that requires a body refuses a request without one (it is not an empty object)
      expect(await root.put(`/v1/tenants/${A}/quotas`)).toMatchObject({ status: 400, body: { error: { code: ErrorCode.InvalidPayload } } });
      expect((await fetch(`${url}/v1/rooms`, { method: "POST", headers: auth })).status).toBe(400);

      // the role is checked first: 403 whatever the body
      expect(await student.post("/v1/rooms", { room: "bad:name" })).toMatchObject({ status: 403, body: { error: { code: ErrorCode.Forbidden } } });
      expect((await student.post("/v1/notifications", { nonsense: true })).status).toBe(403);
      expect((await student.put(`/v1/tenants/${A}/quotas`, { unknownQuota: 1 })).status).toBe(403);
      expect((await student.put(`/v1/tenants/${A}/quotas`)).status).toBe(403);
      expect((await (await as(A, "head-doc", "school_admin")).put(`/v1/tenants/${A}/quotas`, { maxConnections: -1 })).status).toBe(403);
      expect((await student.get("/v1/tenants/bad%20tenant/usage")).status).toBe(403);

      // date-times with an offset, in bodies and query strings; years outside 1000–9999 refused
      const scheduled = await teacher.post<{ scheduledAt: string }>("/v1/classes", { title: "Offsets", room: "r-doc", scheduledAt: "2030-06-15T12:00:00+01:00" });
      expect(scheduled).toMatchObject({ status: 201, body: { scheduledAt: "2030-06-15T11:00:00.000Z" } });
      expect((await teacher.get(`/v1/classes?from=${encodeURIComponent("2030-06-15T11:30:00+01:00")}`)).status).toBe(200);
      expect((await student.get(`/v1/notifications?before=${encodeURIComponent("2030-06-15T12:00:00.5-05:30")}`)).status).toBe(200);
      expect(code(await teacher.post("/v1/classes", { title: "x", room: "r", scheduledAt: "0999-06-15T12:00:00Z" }))).toBe(ErrorCode.InvalidPayload);
      expect(code(await teacher.post("/v1/classes", { title: "x", room: "r", scheduledAt: "2023-02-29T12:00:00Z" }))).toBe(ErrorCode.InvalidPayload);

      // query integers are decimal digits: an empty value or another notation is not a number
      for (const q of ["limit=", "limit=1e1", "limit=0x10", "limit=%205", "limit=5.0"]) expect({ q, code: code(await student.get(`/v1/notifications?${q}`)) }).toEqual({ q, code: ErrorCode.InvalidPayload });
      expect(code(await teacher.get("/v1/rooms/r-doc/messages?after="))).toBe(ErrorCode.InvalidPayload);
      expect((await teacher.get("/v1/rooms/r-doc/messages?after=0&limit=5")).status).toBe(200);

      // exactly one of users or feed, said so
      expect((await teacher.post<{ error: { message: string } }>("/v1/notifications", { title: "x" })).body.error.message).toMatch(/exactly one of users or feed/);

      // the limits the API enforces are in its document
      type Schema = { $ref?: string; anyOf?: Schema[]; properties?: Record<string, Schema>; required?: string[]; maximum?: number; maxLength?: number; maxItems?: number; pattern?: string };
      type Operation = { parameters?: Array<{ name: string; schema: Schema }>; requestBody?: { content: Record<string, { schema: Schema }> } };
      const doc = (await (await fetch(`${url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
      const resolve = (s: Schema): Schema => (s.$ref ? (doc.components.schemas[s.$ref.split("/").pop() as string] as Schema) : s);
      const param = (path: string, name: string) => doc.paths[path]?.get?.parameters?.find((p) => p.name === name)?.schema;
      const body = (path: string, method: string) => resolve(doc.paths[path]?.[method]?.requestBody?.content["application/json"]?.schema ?? {});
      expect(param("/v1/rooms/{room}/messages", "after")).toMatchObject({ type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
      expect(param("/v1/conversations/{id}/messages", "before")).toMatchObject({ type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
      expect(param("/v1/classes", "from")?.pattern).toMatch(/^\^/);
      expect(body("/v1/classes", "post").properties?.scheduledAt?.pattern).toBe(param("/v1/notifications", "before")?.pattern);
      expect(body("/v1/rooms", "post").properties?.title).toMatchObject({ maxLength: 200, pattern: expect.any(String) });
      expect(body(`/v1/tenants/{tenant}/quotas`, "put").properties?.maxConnections).toMatchObject({ maximum: 100_000_000 });
      const publish = (body("/v1/notifications", "post").anyOf ?? []).map(resolve);
      expect(publish.map((b) => b.required?.filter((r) => r === "users" || r === "feed"))).toEqual([["users"], ["feed"]]);
      expect(publish[0]?.properties?.users).toMatchObject({ maxItems: 10_000 });
      expect(publish.map((b) => b.properties?.body)).toEqual([expect.objectContaining({ maxLength: 4_000 }), expect.objectContaining({ maxLength: 4_000 })]);
    });

    it("rate-limits each tenant at its quota plus burst, with code 3000 and Retry-After", async () => {
      const limited = `rl-${run}`;
      const root = await as("platform", "root", "super_admin");
      await root.put(`/v1/tenants/${limited}/quotas`, { apiRequestsPerMinute: 4 });
      const user = await as(limited, "busy");
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<ApiClient["get"]>> | undefined;
      // 4 a minute + a burst bucket of 4 × (2 − 1) × 5 min = 20: the 25th request is refused
      for (let i = 0; i < 30 && !refused; i++) {
        const res = await user.get("/v1/feeds");
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(24);
      expect(code(refused as { body: Body })).toBe(ErrorCode.RateLimited);
      expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await (await as(A, "other-tenant")).get("/v1/feeds")).status).toBe(200);
    });
  });
}

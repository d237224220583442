import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_TOPIC, newEvent, streams, type DeadLetter } from "../core/contracts/streams";
import { HEARTBEAT_MS, LEASE_TTL_MS } from "../realtime/node-liveness";
import { connectClient, eventually } from "./support/clients";
import { apiAs, type ApiClient } from "./support/http";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { ack, clientPool, freshTenant, sleep } from "./support/realtime";

interface Use {
  used: number;
  limit: number;
  share: number;
  level: "ok" | "warn" | "full";
}
interface Overview {
  schools: Array<{ tenant: string; connections: Use; messagesPerSecond: Use }>;
}
interface Nodes {
  nodes: Array<{ node: string; status: string; connections: number; tenants: Record<string, number>; checks: Record<string, boolean>; eventLoopLagMs: number }>;
}
interface Letters {
  total: number;
  letters: Array<{ position: string; topic: string; key: string; reason: string; value: string }>;
}

describe("admin API: per-school overview, school views, nodes and dead letters (embedded)", () => {
  let deployment: Deployment;
  let url: string;
  const pool = clientPool(() => deployment);
  const a = freshTenant("school-a");
  const b = freshTenant("school-b");
  let superAdmin: ApiClient;
  let adminA: ApiClient;
  let adminB: ApiClient;

  beforeAll(async () => {
    deployment = await startEmbeddedDeployment();
    url = deployment.nodes[0]!.url;
    superAdmin = await apiAs(url, "ops", "root", "super_admin");
    adminA = await apiAs(url, a, "head-a", "school_admin");
    adminB = await apiAs(url, b, "head-b", "school_admin");
    for (let i = 0; i < 3; i++) await pool.connect(0, a, `student-${i}`);
    await pool.connect(0, b, "student-b");
  });
  afterAll(async () => {
    pool.closeAll();
    await deployment?.close();
  });

  it("super_admin sees every connected school with its live connections against its quota; school_admin only its own", async () => {
    const all = await eventually(
      () => superAdmin.get<Overview>("/v1/admin/overview"),
      (r) => r.body.schools?.some((s) => s.tenant === b),
    );
    expect(all.status).toBe(200);
    const byTenant = new Map(all.body.schools.map((s) => [s.tenant, s]));
    expect(byTenant.get(a)?.connections).toEqual({ used: 3, limit: 100, share: 0.03, level: "ok" });
    expect(byTenant.get(b)?.connections.used).toBe(1);
    // a school without connections is listed when asked for
    const other = await superAdmin.get<Overview>("/v1/admin/overview?tenant=school-quiet");
    expect(other.body.schools.find((s) => s.tenant === "school-quiet")?.connections.used).toBe(0);

    const own = await adminA.get<Overview>("/v1/admin/overview");
    expect(own.status).toBe(200);
    expect(own.body.schools.map((s) => s.tenant)).toEqual([a]);
    expect(own.body.schools[0]?.connections.used).toBe(3);
    expect((await adminA.get(`/v1/admin/overview?tenant=${b}`)).status).toBe(404);
    expect((await (await apiAs(url, a, "student-0", "student")).get("/v1/admin/overview")).status).toBe(403);
    expect((await (await apiAs(url, a, "teacher", "teacher")).get("/v1/admin/overview")).status).toBe(403);
  });

  it("counts `/class` sockets as live connections past the lease time (their leases are renewed like `/` ones)", async () => {
    const tenant = freshTenant("school-c");
    const admin = await apiAs(url, tenant, "head-c", "school_admin");
    const plain = pool.track(await connectClient(url, await mintToken(tenant, "c1")));
    const inClass = pool.track(await connectClient(`${url}/class`, await mintToken(tenant, "c2")));
    const count = async () => (await admin.get<Overview>("/v1/admin/overview")).body.schools[0]?.connections.used;
    expect(await count()).toBe(2);
    await sleep(LEASE_TTL_MS + 2 * HEARTBEAT_MS);
    expect(plain.connected && inClass.connected).toBe(true);
    expect(await count()).toBe(2);
    plain.close();
    inClass.close();
    expect(await eventually(count, (n) => n === 0)).toBe(0);
  }, 30_000);

  it("marks 80 % and 100 % of a quota after a super_admin override", async () => {
    expect((await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: 3 })).status).toBe(200);
    let school = (await adminA.get<Overview>("/v1/admin/overview")).body.schools[0];
    expect(school?.connections).toEqual({ used: 3, limit: 3, share: 1, level: "full" });
    await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: 2 });
    school = (await adminA.get<Overview>("/v1/admin/overview")).body.schools[0];
    expect(school?.connections.level).toBe("full");
    await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: 4 });
    school = (await adminA.get<Overview>("/v1/admin/overview")).body.schools[0];
    expect(school?.connections).toEqual({ used: 3, limit: 4, share: 0.75, level: "ok" });
    await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: null });
    expect((await adminA.get<Overview>("/v1/admin/overview")).body.schools[0]?.connections.limit).toBe(100);
    // 80 %: 4 of 5
    await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: 5 });
    const extra = await pool.connect(0, a, "student-extra");
    school = (await eventually(() => adminA.get<Overview>("/v1/admin/overview"), (r) => r.body.schools[0]?.connections.used === 4)).body.schools[0];
    expect(school?.connections).toEqual({ used: 4, limit: 5, share: 0.8, level: "warn" });
    extra.close();
    await superAdmin.put(`/v1/tenants/${a}/quotas`, { maxConnections: null });
    expect((await adminA.put(`/v1/tenants/${a}/quotas`, { maxConnections: 1000 })).status).toBe(403);
  });

  it("messages/s is the message-rate quota's current window", async () => {
    const sender = await pool.connect(0, a, "chatty");
    expect((await ack(sender, "room:join", { room: "lobby" })).error).toBeUndefined();
    const seen = await eventually(
      async () => {
        await ack(sender, "room:message", { room: "lobby", text: "hello" });
        await ack(sender, "room:message", { room: "lobby", text: "again" });
        return adminA.get<Overview>("/v1/admin/overview");
      },
      (r) => (r.body.schools[0]?.messagesPerSecond.used ?? 0) >= 2,
    );
    expect(seen.body.schools[0]?.messagesPerSecond).toMatchObject({ limit: 1_000, level: "ok" });
    sender.close();
  });

  it("a school's rooms, members, classes and attendance (JSON and CSV), never another school's", async () => {
    const teacherA = await apiAs(url, a, "teacher-a", "teacher");
    expect((await teacherA.post("/v1/rooms", { room: "maths", title: "Maths", private: true })).status).toBe(201);
    await teacherA.put("/v1/rooms/maths/members/student-1");
    const rooms = await adminA.get<{ rooms: Array<{ room: string }> }>(`/v1/admin/schools/${a}/rooms`);
    expect(rooms.body.rooms.map((r) => r.room)).toEqual(["maths"]);
    const members = await adminA.get<{ members: Array<{ user: string }> }>(`/v1/admin/schools/${a}/rooms/maths/members`);
    expect(members.body.members.map((m) => m.user).sort()).toEqual(["student-1", "teacher-a"]);

    const created = await teacherA.post<{ id: string }>("/v1/classes", { title: "Algebra", room: "maths", scheduledAt: new Date().toISOString() });
    const classId = created.body.id;
    await deployment.publish("attendance", [
      newEvent("class.attendance", a, { classId, user: "student-1", kind: "joined" }),
      newEvent("class.attendance", a, { classId, user: "student-2", kind: "joined" }),
    ]);
    await sleep(20); // a leave after its join (events order by their `at`)
    await deployment.publish("attendance", [newEvent("class.attendance", a, { classId, user: "student-2", kind: "left" })]);
    const classes = await adminA.get<{ classes: Array<{ id: string }> }>(`/v1/admin/schools/${a}/classes`);
    expect(classes.body.classes.map((c) => c.id)).toEqual([classId]);
    const report = await adminA.get<{ participants: Array<{ user: string; present: boolean }> }>(`/v1/admin/schools/${a}/classes/${classId}/attendance`);
    expect(report.body.participants.map((p) => [p.user, p.present])).toEqual([
      ["student-1", true],
      ["student-2", false],
    ]);
    const csv = await fetch(`${url}/v1/admin/schools/${a}/classes/${classId}/attendance.csv`, { headers: { authorization: `Bearer ${adminA.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toBe(`attachment; filename="attendance-${classId}.csv"`);
    const lines = (await csv.text()).split("\r\n");
    expect(lines[0]).toBe("user,firstJoin,lastLeave,secondsPresent,reconnects,present");
    expect(lines.slice(1, 3).map((l) => [l.split(",")[0], l.split(",")[5]])).toEqual([
      ["student-1", "true"],
      ["student-2", "false"],
    ]);
    expect(lines[3]).toBe("");
    const teacherCsv = await fetch(`${url}/v1/classes/${classId}/attendance.csv`, { headers: { authorization: `Bearer ${teacherA.token}` } });
    expect((await teacherCsv.text()).split("\r\n")[1]?.startsWith("student-1,")).toBe(true);

    // school-b's admin: school-a's views are absent, and school-a's class is not in school-b
    for (const path of [`/v1/admin/schools/${a}/rooms`, `/v1/admin/schools/${a}/rooms/maths/members`, `/v1/admin/schools/${a}/classes`, `/v1/admin/schools/${a}/classes/${classId}/attendance`, `/v1/admin/schools/${a}/classes/${classId}/attendance.csv`]) {
      expect((await adminB.get(path)).status, path).toBe(404);
    }
    expect((await adminB.get(`/v1/admin/schools/${b}/classes/${classId}/attendance`)).status).toBe(404);
    expect((await adminB.get(`/v1/admin/schools/${b}/classes/${classId}/attendance.csv`)).status).toBe(404);
    expect((await adminB.get(`/v1/admin/schools/${b}/classes`)).body).toEqual({ classes: [] });
    expect((await adminB.get(`/v1/admin/schools/${b}/rooms/maths/members`)).status).toBe(404);
    // a super_admin reads any school
    expect((await superAdmin.get(`/v1/admin/schools/${a}/classes/${classId}/attendance`)).status).toBe(200);
    // bad input is numbered
    expect((await adminA.get(`/v1/admin/schools/${a}/classes/not-a-uuid/attendance`)).body).toMatchObject({ error: { code: 1001 } });
    expect((await adminA.get(`/v1/admin/schools/A:B/classes`)).status).toBe(400);
  });

  it("nodes: super_admin sees this node's report with its connections per school; school_admin may not", async () => {
    const nodes = await eventually(
      () => superAdmin.get<Nodes>("/v1/admin/nodes"),
      (r) => r.body.nodes?.[0]?.tenants[a] === 3 && r.body.nodes[0].tenants[b] === 1 && r.body.nodes[0].connections === 4,
    );
    expect(nodes.body.nodes).toHaveLength(1);
    expect(nodes.body.nodes[0]).toMatchObject({ status: "up", connections: 4, checks: { database: true, bus: true } });
    expect(nodes.body.nodes[0]!.eventLoopLagMs).toBeGreaterThanOrEqual(0);
    expect((await adminA.get("/v1/admin/nodes")).status).toBe(403);
  });

  it("dead letters: super_admin lists and replays them (the letter's event is stored); others may not", async () => {
    const event = newEvent("room.message.created", a, { room: "dlq-room", seq: 1, user: "u1", text: "back from the dead" });
    const letter: DeadLetter = { topic: streams.roomMessages.topic, key: `${a}:dlq-room`, value: JSON.stringify(event), reason: "refused by the database: before the fix", at: new Date().toISOString() };
    await deployment.nodes[0]!.bus.publish(DEAD_LETTER_TOPIC, [{ key: letter.key, value: JSON.stringify(letter) }]);
    const listed = await eventually(() => superAdmin.get<Letters>("/v1/admin/dead-letters"), (r) => r.body.total >= 1);
    const found = listed.body.letters.find((l) => l.reason === letter.reason);
    expect(found).toMatchObject({ topic: "room-messages", key: letter.key, value: letter.value });
    expect((await adminA.get("/v1/admin/dead-letters")).status).toBe(403);
    expect((await adminA.post("/v1/admin/dead-letters/replay", { positions: [found!.position] })).status).toBe(403);

    expect((await superAdmin.post("/v1/admin/dead-letters/replay", { positions: ["0:999999"] })).body).toMatchObject({ error: { code: 4000 } });
    expect((await superAdmin.post("/v1/admin/dead-letters/replay", { positions: ["zero"] })).body).toMatchObject({ error: { code: 1001 } });
    expect((await superAdmin.post("/v1/admin/dead-letters/replay", { all: false })).status).toBe(400);
    const replayed = await superAdmin.post<{ replayed: Array<{ position: string; topic: string }> }>("/v1/admin/dead-letters/replay", { positions: [found!.position] });
    expect(replayed.status).toBe(200);
    expect(replayed.body.replayed).toEqual([{ position: found!.position, topic: "room-messages", key: letter.key }]);
    const history = await eventually(
      () => adminA.get<{ messages: Array<{ text: string }> }>("/v1/rooms/dlq-room/messages"),
      (r) => (r.body.messages?.length ?? 0) > 0,
    );
    expect(history.body.messages.map((m) => m.text)).toEqual(["back from the dead"]);
  });
});

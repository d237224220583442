import { expect } from "vitest";
import type { ClassJoined, ClassWaiting } from "../core/class-signaling";
import { ErrorCode } from "../core/errors";
import { ClassParticipant } from "./support/class-participant";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";

/**
 * Rosters and the waiting room (docs/CLASSES.md) with real WebRTC peers (werift): a rostered student joins
 * directly; an outsider waits, is admitted and receives media (packet counts rising); a denied one gets no
 * media and no class pushes; attendance marks members and guests. `teacherUrl` serves the REST API and the
 * teacher's socket, `studentUrl` the students' (another node in a cluster: pushes cross the adapter).
 */
export async function waitingRoomScenario(teacherUrl: string, studentUrl: string, tenant: string): Promise<void> {
  const teacherApi = await apiAs(teacherUrl, tenant, "teacher", "teacher");
  const classId = (await teacherApi.post<{ id: string }>("/v1/classes", { title: "Chemistry", room: "chem", scheduledAt: new Date().toISOString() })).body.id;
  expect((await teacherApi.put(`/v1/classes/${classId}/roster`, { mode: "list", users: ["listed"] })).status).toBe(200);
  const teacher = await ClassParticipant.connect(teacherUrl, tenant, "teacher", "teacher", classId);
  const listed = await ClassParticipant.connect(studentUrl, tenant, "listed", "student", classId);
  const guest = await ClassParticipant.connect(studentUrl, tenant, "guest", "student", classId);
  const denied = await ClassParticipant.connect(studentUrl, tenant, "denied", "student", classId);
  try {
    await teacher.join();
    await teacher.ok("class:start");
    const ids = await teacher.publish(["audio", "video"]);

    // on the roster: joins at once, sees the active speaker field (nobody or someone)
    const direct = await listed.join();
    expect(direct).toMatchObject({ role: "student", started: true });
    expect(direct).toHaveProperty("activeSpeaker");

    // off the roster: waits; the teacher is told
    const knocked = (await guest.knock()) as unknown as ClassWaiting;
    expect(knocked).toEqual({ classId, waiting: true, position: 1 });
    const waitingPush = await eventually(async () => teacher.pushed("class:waiting").at(-1), (p) => p?.waiting.some((w) => w.user === "guest") === true);
    expect(waitingPush?.waiting.map((w) => w.user)).toEqual(["guest"]);
    // a waiting connection may not do anything in the class
    expect((await guest.request("transport:create", { direction: "recv" })).error?.code).toBe(ErrorCode.NotInClass);
    // students may not admit
    expect((await listed.request("class:admit", { user: "guest", action: "admit" })).error?.code).toBe(ErrorCode.Forbidden);

    const answer = await teacher.ok<{ user: string; action: string; waiting: unknown[] }>("class:admit", { user: "guest", action: "admit" });
    expect(answer).toEqual({ user: "guest", action: "admit", waiting: [] });
    expect(await guest.nextPush("class:admitted")).toEqual({ classId, by: "teacher" });
    const admitted: ClassJoined = await guest.join();
    expect(admitted).toMatchObject({ role: "student" });
    expect(admitted.participants.map((p) => p.user).sort()).toEqual(["guest", "listed", "teacher"]);
    // media flows to the admitted student (and the rostered one): packet counts rise
    await eventually(async () => ids.map((id) => guest.packetsFrom(id)), (n) => n.every((x) => x >= 20), 15_000);
    const before = ids.map((id) => guest.packetsFrom(id));
    await eventually(async () => ids.map((id, i) => guest.packetsFrom(id) - (before[i] ?? 0)), (d) => d.every((x) => x >= 10), 10_000);
    await eventually(async () => ids.map((id) => listed.packetsFrom(id)), (n) => n.every((x) => x >= 20), 15_000);

    // denied: told, refused on a new join, never a consumer nor a class push
    expect(await denied.knock()).toMatchObject({ waiting: true, position: 1 });
    await eventually(async () => teacher.pushed("class:waiting").at(-1), (p) => p?.waiting.some((w) => w.user === "denied") === true);
    await teacher.ok("class:admit", { user: "denied", action: "deny" });
    expect(await denied.nextPush("class:denied")).toEqual({ classId, by: "teacher" });
    expect((await denied.knock()).error?.code).toBe(ErrorCode.AdmissionDenied);
    // class pushes go on meanwhile (a hand, a new participant): the denied connection must see none of them
    await listed.ok("hand:raise");
    await eventually(async () => guest.pushed("class:hands").length, (n) => n >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(denied.pushes.map((p) => p.event)).toEqual(["class:denied"]);
    expect(denied.consumers).toEqual([]);
    expect(denied.receiver).toBeUndefined();
    // the waiting room is empty again; the guest saw the class's pushes once admitted
    expect(teacher.pushed("class:waiting").at(-1)?.waiting).toEqual([]);

    // attendance: the roster member and the teacher are members, the admitted outsider a guest
    await guest.ok("class:leave");
    const report = await eventually(
      () => teacherApi.get<{ participants: Array<{ user: string; status?: string }> }>(`/v1/classes/${classId}/attendance`),
      (r) => r.body.participants?.length === 3,
    );
    expect(report.body.participants.map((p) => [p.user, p.status])).toEqual([
      ["guest", "guest"],
      ["listed", "member"],
      ["teacher", "member"],
    ]);
  } finally {
    await Promise.all([teacher, listed, guest, denied].map((p) => p.close()));
  }
}

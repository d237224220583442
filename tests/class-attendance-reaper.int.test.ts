import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClassParticipant } from "./support/class-participant";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { startProcessDeployment } from "./support/nodes";
import { freshTenant } from "./support/realtime";
import { serviceEnv } from "./support/services";

// Two realtime nodes as processes on Redis/Kafka/PostgreSQL: node 0 hosts classes, node 1 only signals.
// A student whose realtime node is killed (-9) never sends peer:gone; the media node's reaper, on the
// presence store's node liveness, must close their attendance within 10 s (issue: live classes, state that survives).
let deployment: Awaited<ReturnType<typeof startProcessDeployment>>;
const url = (i: number): string => (deployment.processes[i] ?? expect.fail(`no node ${i}`)).url;

beforeAll(async () => {
  deployment = await startProcessDeployment(2, {
    engine: "ws",
    perNode: (i) => ({
      MEDIA: i === 0 ? "1" : "0",
      MEDIASOUP_WORKER_BIN: serviceEnv("MEDIASOUP_WORKER_BIN"),
      MEDIA_WORKERS: "1",
      MEDIA_LISTEN_IP: "127.0.0.1",
      MEDIA_RTC_MIN_PORT: "43000",
      MEDIA_RTC_MAX_PORT: "43499",
    }),
  });
}, 120_000);
afterAll(() => deployment?.close());

describe("attendance of a dead realtime node's participants", () => {
  it("closes within 10 s of the node's kill -9, while the other participants stay present", async () => {
    const tenant = freshTenant("school");
    const teacherApi = await apiAs(url(0), tenant, "teacher-1", "teacher");
    const created = await teacherApi.post<{ id: string }>("/v1/classes", { title: "Biology", room: "bio-1", scheduledAt: new Date().toISOString() });
    expect(created.status).toBe(201);
    const classId = created.body.id;
    const teacher = await ClassParticipant.connect(url(0), tenant, "teacher-1", "teacher", classId);
    const student = await ClassParticipant.connect(url(1), tenant, "s1", "student", classId);
    try {
      // the first request right after the node started: a media node is serving once it is ready (5004 was seen here)
      await teacher.join();
      await student.join();
      const present = async (): Promise<Record<string, boolean>> => {
        const res = await teacherApi.get<{ participants: Array<{ user: string; present: boolean }> }>(`/v1/classes/${classId}/attendance`);
        return Object.fromEntries(res.body.participants.map((p) => [p.user, p.present]));
      };
      await eventually(present, (p) => p["teacher-1"] === true && p.s1 === true, 15_000);

      const killed = performance.now();
      await deployment.processes[1]!.child.stop("SIGKILL");
      const after = await eventually(present, (p) => p.s1 === false, 15_000);
      const seconds = (performance.now() - killed) / 1000;
      console.log(`attendance of the dead node's participant closed ${seconds.toFixed(1)} s after kill -9`);
      expect(seconds).toBeLessThanOrEqual(10);
      expect(after["teacher-1"]).toBe(true);
      // the class was told the student left
      await eventually(async () => teacher.pushed("class:participant"), (pushes) => pushes.some((p) => p.user === "s1" && p.action === "left"), 5_000);
    } finally {
      await teacher.close();
      await student.close().catch(() => undefined);
    }
  }, 90_000);
});

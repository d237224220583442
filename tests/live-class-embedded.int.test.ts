import { describe, expect, it } from "vitest";
import { mediaDefaults } from "../core/config";
import { ClassParticipant } from "./support/class-participant";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { startEmbeddedDeployment } from "./support/nodes";
import { serviceEnv } from "./support/services";

describe("live class in the embedded default (one process, in-memory signaling, PGlite, in-memory bus)", () => {
  it("a teacher publishes, a student receives RTP, attendance is reported", async () => {
    const deployment = await startEmbeddedDeployment({
      media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), rtcMinPort: 43_000, rtcMaxPort: 43_499 },
    });
    const url = (deployment.nodes[0] ?? expect.fail("no node")).url;
    const teacherApi = await apiAs(url, "school-e", "teacher", "teacher");
    const created = await teacherApi.post<{ id: string }>("/v1/classes", { title: "Biology", room: "bio", scheduledAt: new Date().toISOString() });
    const classId = created.body.id;
    const teacher = await ClassParticipant.connect(url, "school-e", "teacher", "teacher", classId);
    const student = await ClassParticipant.connect(url, "school-e", "student", "student", classId);
    try {
      await teacher.join();
      await teacher.ok("class:start");
      const ids = await teacher.publish(["audio", "video"]);
      await student.join();
      await eventually(async () => ids.map((id) => student.packetsFrom(id)), (n) => n.every((x) => x >= 20), 15_000);
      await student.ok("class:leave");
      const report = await eventually(
        () => teacherApi.get<{ participants: Array<{ user: string; present: boolean }> }>(`/v1/classes/${classId}/attendance`),
        (r) => r.body.participants.some((p) => p.user === "student" && !p.present),
      );
      expect(report.body.participants.map((p) => [p.user, p.present])).toEqual([
        ["student", false],
        ["teacher", true],
      ]);
    } finally {
      await teacher.close();
      await student.close();
      await deployment.close();
    }
  }, 60_000);
});

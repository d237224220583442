import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { MediaNode } from "../media/media-node";
import { ClassParticipant } from "./support/class-participant";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { startDistributedDeployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";
import { serviceEnv } from "./support/services";

// Two realtime nodes on Redis/Kafka/PostgreSQL: node 0 hosts classes (2 mediasoup workers, a router
// takes 4 consumers so the third receiver is piped to a second router), node 1 only signals.
let deployment: Awaited<ReturnType<typeof startDistributedDeployment>>;
const [mediaNode, otherNode] = [0, 1];
const url = (i: number): string => (deployment.nodes[i] ?? expect.fail("no node")).url;
const mediaOf = (i: number): MediaNode => deployment.nodes[i]?.classes?.media ?? expect.fail(`node ${i} hosts no classes`);

beforeAll(async () => {
  deployment = await startDistributedDeployment(2, (i) => ({
    media: {
      enabled: i === mediaNode,
      workers: 2,
      workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"),
      listenIp: "127.0.0.1",
      rtcMinPort: 42_000,
      rtcMaxPort: 42_999,
      consumersPerRouter: 4,
      signalingTimeoutMs: 5_000,
    },
  }));
}, 60_000);
afterAll(() => deployment.close());

async function scheduleClass(tenant: string, teacher: string): Promise<string> {
  const api = await apiAs(url(otherNode), tenant, teacher, "teacher");
  const res = await api.post<{ id: string }>("/v1/classes", { title: "Algebra", room: "algebra-1", scheduledAt: new Date().toISOString() });
  expect(res.status).toBe(201);
  return res.body.id;
}

const flowing = async (p: ClassParticipant, producerIds: string[]): Promise<void> => {
  await eventually(async () => producerIds.map((id) => p.packetsFrom(id)), (counts) => counts.every((n) => n >= 20), 15_000);
};

async function attendanceRows(tenant: string, classId: string): Promise<Array<{ user: string; kind: string }>> {
  const client = new pg.Client({ connectionString: deployment.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ user_id: string; kind: string }>(
      "select user_id, kind from attendance_events where tenant_id = $1 and class_id = $2 order by at, id",
      [tenant, classId],
    );
    return rows.map((r) => ({ user: r.user_id, kind: r.kind }));
  } finally {
    await client.end();
  }
}

describe("live class over real WebRTC (werift ↔ mediasoup), signaling through two realtime nodes", () => {
  it("teacher publishes, students receive, hands, promotion, mute, removal, reconnect, attendance", async () => {
    const tenant = freshTenant("school");
    const classId = await scheduleClass(tenant, "teacher-1");
    const teacher = await ClassParticipant.connect(url(mediaNode), tenant, "teacher-1", "teacher", classId);
    const s1 = await ClassParticipant.connect(url(mediaNode), tenant, "s1", "student", classId);
    const s2 = await ClassParticipant.connect(url(mediaNode), tenant, "s2", "student", classId);
    let s3 = await ClassParticipant.connect(url(otherNode), tenant, "s3", "student", classId);
    const everyone = [teacher, s1, s2, s3];
    try {
      expect((await teacher.join()).role).toBe("host");
      await teacher.ok("class:start");
      const [audio, video] = await teacher.publish(["audio", "video"]);
      for (const s of [s1, s2, s3]) expect(await s.join()).toMatchObject({ role: "student", started: true, producers: [{ id: audio }, { id: video }] });
      for (const s of [s1, s2, s3]) await flowing(s, [String(audio), String(video)]);
      // 2 receivers × 2 consumers fill the first router: the third receiver is on a second one, fed by pipeToRouter.
      expect((await mediaOf(mediaNode).stats()).routers).toBeGreaterThanOrEqual(2);

      // A student cannot publish until promoted.
      const refused: unknown = await s1.publish(["audio"]).then(
        () => expect.fail("a student published"),
        (e: { ack?: unknown }) => e.ack,
      );
      expect(refused).toMatchObject({ error: { code: ErrorCode.NotSpeaker } });
      const handsSeen = eventually(async () => teacher.pushed("class:hands"), (h) => h.some((x) => x.hands.some((y) => y.user === "s1")));
      expect(await s1.ok("hand:raise")).toMatchObject({ hands: [{ user: "s1", acknowledged: false }] });
      await handsSeen;
      expect(await teacher.ok("hand:acknowledge", { user: "s1" })).toMatchObject({ hands: [{ user: "s1", acknowledged: true }] });
      expect((await s1.request("participant:promote", { user: "s2" })).error?.code).toBe(ErrorCode.Forbidden);
      expect(await teacher.ok("participant:promote", { user: "s1" })).toEqual({ user: "s1", role: "speaker" });
      await eventually(async () => s1.pushed("class:participant"), (p) => p.some((x) => x.user === "s1" && x.role === "speaker"));
      const [s1Audio] = await s1.publish(["audio"]);
      await flowing(teacher, [String(s1Audio)]);
      await flowing(s3, [String(s1Audio)]);

      // The teacher mutes s1's microphone: receivers see it paused; s1 may not unmute itself.
      expect(await teacher.ok("producer:mute", { producerId: s1Audio })).toEqual({ producerId: s1Audio });
      await eventually(async () => s3.pushed("media:consumerPaused"), (p) => p.some((x) => x.paused));
      expect((await s1.request("producer:resume", { producerId: s1Audio })).error?.code).toBe(ErrorCode.Muted);
      expect((await s2.request("producer:close", { producerId: audio })).error?.code).toBe(ErrorCode.Forbidden);
      // Demotion closes the student's producers.
      expect(await teacher.ok("participant:demote", { user: "s1" })).toEqual({ user: "s1", role: "student" });
      await eventually(async () => s3.pushed("media:consumerClosed").length, (n) => n >= 1);

      // Removal: s2 is told, loses media, cannot rejoin.
      await teacher.ok("participant:remove", { user: "s2" });
      await eventually(async () => s2.pushed("class:removed"), (p) => p.length === 1);
      expect((await s2.request("transport:create", { direction: "recv" })).error?.code).toBe(ErrorCode.NotInClass);
      expect((await s2.request("class:join", { rtpCapabilities: {} })).error?.code).toBe(ErrorCode.RemovedFromClass);

      // s3 (on the node without media) reconnects and receives again.
      await s3.close();
      await sleep(300);
      s3 = await ClassParticipant.connect(url(otherNode), tenant, "s3", "student", classId);
      everyone[3] = s3;
      await s3.join();
      await flowing(s3, [String(audio), String(video)]);

      // Scores reach clients through the adapter (producer scores to their owner, consumer scores to receivers).
      await eventually(async () => [...teacher.pushed("media:score"), ...s3.pushed("media:score")].length, (n) => n > 0, 15_000);

      await teacher.ok("class:end");
      for (const p of [s1, s3]) await eventually(async () => p.pushed("class:ended").length, (n) => n === 1);
      expect((await s1.request("class:join", { rtpCapabilities: {} })).error?.code).toBe(ErrorCode.ClassEnded);

      const expected = [
        ["teacher-1", ["joined", "left"]],
        ["s1", ["joined", "left"]],
        ["s2", ["joined", "left"]],
        ["s3", ["joined", "left", "joined", "left"]],
      ] as const;
      const rows = await eventually(() => attendanceRows(tenant, classId), (r) => r.length === 10, 20_000);
      for (const [user, kinds] of expected) expect(rows.filter((r) => r.user === user).map((r) => r.kind)).toEqual(kinds);

      const api = await apiAs(url(otherNode), tenant, "teacher-1", "teacher");
      const report = await api.get<{ participants: Array<{ user: string; reconnects: number; present: boolean }> }>(`/v1/classes/${classId}/attendance`);
      expect(report.body.participants.map((a) => [a.user, a.reconnects, a.present])).toEqual([
        ["s1", 0, false],
        ["s2", 0, false],
        ["s3", 1, false],
        ["teacher-1", 0, false],
      ]);
    } finally {
      for (const p of everyone) await p.close();
    }
  }, 120_000);

  it("refuses bad signaling input with numbered errors and keeps the worker and node running", async () => {
    const tenant = freshTenant("school");
    const classId = await scheduleClass(tenant, "t");
    const otherClass = await scheduleClass(tenant, "t");
    const teacher = await ClassParticipant.connect(url(otherNode), tenant, "t", "teacher", classId);
    const intruder = await ClassParticipant.connect(url(otherNode), freshTenant("other"), "t", "teacher", classId);
    try {
      await teacher.join();
      await teacher.ok("class:start");
      const workersBefore = mediaOf(mediaNode).workers.map((w) => w.pid);
      const code = async (event: string, payload: unknown): Promise<number | undefined> => (await teacher.request(event, payload as Record<string, unknown>)).error?.code;

      expect(await code("transport:connect", { transportId: randomUUID(), dtlsParameters: { fingerprints: [{ algorithm: "sha-256", value: "AA" }] } })).toBe(ErrorCode.NotFound);
      expect(await code("producer:pause", { producerId: randomUUID() })).toBe(ErrorCode.NotFound);
      expect(await code("consumer:resume", { consumerId: randomUUID() })).toBe(ErrorCode.NotFound);
      expect(await code("transport:create", { classId: otherClass, direction: "send" })).toBe(ErrorCode.NotInClass);
      expect(await code("transport:create", { direction: "sideways" })).toBe(ErrorCode.InvalidPayload);
      expect(await code("transport:create", { classId: "not-a-uuid", direction: "send" })).toBe(ErrorCode.InvalidPayload);
      const recv = await teacher.ok<{ id: string }>("transport:create", { direction: "recv" });
      expect(await code("producer:create", { transportId: recv.id, kind: "audio", source: "mic", rtpParameters: { codecs: [{ mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2 }] } })).toBe(ErrorCode.InvalidMediaParameters);
      const send = await teacher.ok<{ id: string }>("transport:create", { direction: "send" });
      const rtp = (codecs: unknown): Record<string, unknown> => ({ transportId: send.id, kind: "audio", source: "mic", rtpParameters: { codecs, encodings: [{ ssrc: 1234 }] } });
      expect(await code("producer:create", rtp([]))).toBe(ErrorCode.InvalidPayload);
      expect(await code("producer:create", rtp([{ mimeType: "audio/opus", payloadType: 999, clockRate: 48000 }]))).toBe(ErrorCode.InvalidPayload);
      expect(await code("producer:create", rtp([{ mimeType: "audio/nonexistent", payloadType: 100, clockRate: 8000 }]))).toBe(ErrorCode.InvalidMediaParameters);
      expect(await code("producer:create", rtp([{ mimeType: "audio/opus", payloadType: 100, clockRate: 8000 }]))).toBe(ErrorCode.InvalidMediaParameters);
      expect(await code("class:leave", "garbage")).toBe(ErrorCode.InvalidPayload);
      expect(await code("class:explode", {})).toBe(ErrorCode.UnknownEvent);
      const [audio] = await teacher.publish(["audio"]);
      expect(await code("producer:pause", { classId: otherClass, producerId: audio })).toBe(ErrorCode.NotInClass);
      const restarted = await teacher.ok<{ iceParameters: { usernameFragment: string } }>("transport:restartIce", { transportId: recv.id });
      expect(restarted.iceParameters.usernameFragment).toMatch(/\w+/);
      expect(await code("consumer:setPreferredLayers", { consumerId: randomUUID(), spatialLayer: 9 })).toBe(ErrorCode.InvalidPayload);

      // Another school's token cannot see the class, under any event.
      expect((await intruder.request("class:capabilities")).error?.code).toBe(ErrorCode.NotFound);
      expect((await intruder.request("class:join", { rtpCapabilities: {} })).error?.code).toBe(ErrorCode.NotFound);
      expect((await intruder.request("producer:close", { producerId: audio })).error?.code).toBe(ErrorCode.NotInClass);

      // Still serving: the same workers, and a valid request works.
      expect(mediaOf(mediaNode).workers.map((w) => w.pid)).toEqual(workersBefore);
      expect(await teacher.ok("producer:pause", { producerId: audio })).toEqual({ producerId: audio });
    } finally {
      await teacher.close();
      await intruder.close();
    }
  }, 60_000);

  it("tells a class to rejoin when its mediasoup worker dies, replaces the worker, and the rejoin works", async () => {
    const tenant = freshTenant("school");
    const classId = await scheduleClass(tenant, "t");
    const teacher = await ClassParticipant.connect(url(mediaNode), tenant, "t", "teacher", classId);
    let student = await ClassParticipant.connect(url(otherNode), tenant, "s", "student", classId);
    try {
      await teacher.join();
      await teacher.ok("class:start");
      await student.join();
      const media = mediaOf(mediaNode);
      const pids = media.workers.map((w) => w.pid);
      const [worker] = await media.workersOf(tenant, classId);
      process.kill(worker?.pid ?? expect.fail("class has no worker"), "SIGKILL");
      await eventually(async () => student.pushed("class:rejoin").length, (n) => n === 1);
      await eventually(async () => media.workers.map((w) => w.pid), (now) => now.length === pids.length && now.some((p) => !pids.includes(p)));
      await student.close();
      student = await ClassParticipant.connect(url(otherNode), tenant, "s", "student", classId);
      await teacher.join();
      await student.join();
      const ids = await teacher.publish(["audio", "video"]);
      await flowing(student, ids);
    } finally {
      await teacher.close();
      await student.close();
    }
  }, 60_000);
});

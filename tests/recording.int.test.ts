import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClassJoined } from "../core/class-signaling";
import { mediaDefaults } from "../core/config";
import { recordingOptionsFromEnv } from "../core/recording-config";
import { ErrorCode } from "../core/errors";
import { ClassParticipant } from "./support/class-participant";
import { eventually } from "./support/clients";
import { apiAs } from "./support/http";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";
import { serviceEnv } from "./support/services";

const run = promisify(execFile);

// One embedded node hosting classes (a real mediasoup worker), recording with real ffmpeg into a real
// S3-compatible server (s3rver, started here on loopback). The teacher is a werift peer publishing audio and video.
let deployment: Deployment;
let s3: S3rver;
let dir: string;
const url = () => deployment.nodes[0]!.url;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rec-e2e-"));
  s3 = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: join(dir, "s3"), configureBuckets: [{ name: "class-recordings", configs: [] }] });
  const { port } = await s3.run();
  const recording = recordingOptionsFromEnv(
    {
      RECORDING_STORAGE: "s3",
      RECORDING_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      RECORDING_S3_BUCKET: "class-recordings",
      RECORDING_S3_ACCESS_KEY_ID: "S3RVER",
      RECORDING_S3_SECRET_ACCESS_KEY: "S3RVER",
      RECORDING_S3_PREFIX: "e2e/",
      FFMPEG_BIN: serviceEnv("FFMPEG_BIN"),
      FFPROBE_BIN: serviceEnv("FFPROBE_BIN"),
    },
    dir,
  );
  deployment = await startEmbeddedDeployment({
    media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), rtcMinPort: 43_000, rtcMaxPort: 43_499 },
    recording,
  });
}, 60_000);
afterAll(async () => {
  await deployment?.close();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

interface RecordingRow {
  id: string;
  status: string;
  bytes: number | null;
  durationMs: number | null;
  contentType: string;
}

const download = async (tenant: string, path: string, range?: string) => {
  const token = await mintToken(tenant, "s1", "student");
  const res = await fetch(`${url()}${path}`, { headers: { authorization: `Bearer ${token}`, ...(range ? { range } : {}) } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};

describe("class recording through the protocol and the API (real mediasoup, ffmpeg, S3-compatible storage)", () => {
  it("host starts/stops recording, everyone sees it, the file is listed and downloadable with Range, other schools get 404", async () => {
    const tenant = freshTenant("school-a");
    const teacherApi = await apiAs(url(), tenant, "teacher-1", "teacher");
    const created = await teacherApi.post<{ id: string }>("/v1/classes", { title: "Recorded", room: "rec-1", scheduledAt: new Date().toISOString() });
    expect(created.status).toBe(201);
    const classId = created.body.id;
    const teacher = await ClassParticipant.connect(url(), tenant, "teacher-1", "teacher", classId);
    const s1 = await ClassParticipant.connect(url(), tenant, "s1", "student", classId);
    const s2 = await ClassParticipant.connect(url(), tenant, "s2", "student", classId);
    try {
      await teacher.join();
      expect((await teacher.request("class:record", { action: "start" })).error?.code).toBe(ErrorCode.ClassNotLive);
      await teacher.ok("class:start");
      expect((await teacher.request("class:record", { action: "start" })).error?.code).toBe(ErrorCode.Conflict); // nobody publishes yet
      await teacher.publish(["audio", "video"]);
      await s1.join();
      expect((await s1.request("class:record", { action: "start" })).error?.code).toBe(ErrorCode.Forbidden);
      expect((await teacher.request("class:record", { action: "pause" })).error?.code).toBe(ErrorCode.InvalidPayload);

      const started = await teacher.ok<{ recording: boolean; startedAt: string }>("class:record", { action: "start" });
      expect(started).toMatchObject({ classId, recording: true });
      await eventually(async () => s1.pushed("class:recording"), (p) => p.some((x) => x.recording));
      // idempotent, and a late joiner sees the indicator
      expect(await teacher.ok("class:record", { action: "start" })).toEqual(started);
      expect((await s2.join()) as ClassJoined).toMatchObject({ recordingStartedAt: started.startedAt });
      await sleep(4_000);
      expect(await teacher.ok("class:record", { action: "stop" })).toEqual({ classId, recording: false, startedAt: null });
      await eventually(async () => s2.pushed("class:recording"), (p) => p.some((x) => !x.recording));

      const studentApi = await apiAs(url(), tenant, "s1", "student");
      const listed = await eventually(
        async () => (await studentApi.get<{ recordings: RecordingRow[] }>(`/v1/classes/${classId}/recordings`)).body.recordings,
        (rows) => rows.length === 1 && rows[0]!.status !== "recording",
        20_000,
      );
      const row = listed[0]!;
      expect(row).toMatchObject({ status: "complete", contentType: "video/webm" });
      expect(row.bytes).toBeGreaterThan(1000);
      expect(row.durationMs).toBeGreaterThan(2_500);

      const file = `/v1/classes/${classId}/recordings/${row.id}/file`;
      const whole = await download(tenant, file);
      expect(whole.status).toBe(200);
      expect(whole.headers.get("accept-ranges")).toBe("bytes");
      expect(whole.body.length).toBe(row.bytes);
      const saved = join(dir, "downloaded.webm");
      await writeFile(saved, whole.body);
      const { stdout } = await run(serviceEnv("FFPROBE_BIN"), ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", saved]);
      expect(stdout.trim().split("\n").sort()).toEqual(["opus,audio", "vp8,video"]);

      const part = await download(tenant, file, "bytes=100-199");
      expect(part.status).toBe(206);
      expect(part.headers.get("content-range")).toBe(`bytes 100-199/${row.bytes}`);
      expect(part.body.equals(whole.body.subarray(100, 200))).toBe(true);
      const suffix = await download(tenant, file, "bytes=-10");
      expect(suffix.status).toBe(206);
      expect(suffix.body.equals(whole.body.subarray(whole.body.length - 10))).toBe(true);
      const open = await download(tenant, file, `bytes=${row.bytes! - 5}-`);
      expect(open.body.length).toBe(5);
      for (const bad of [`bytes=${row.bytes}-`, "bytes=abc", "bytes=5-2", "items=0-1", "bytes=0-1,4-5"]) {
        const res = await download(tenant, file, bad);
        expect(res.status, bad).toBe(416);
        expect(JSON.parse(res.body.toString()).error.code).toBe(ErrorCode.RangeNotSatisfiable);
      }

      // another school sees neither the list nor the file
      const other = freshTenant("school-b");
      expect((await (await apiAs(url(), other, "s1", "student")).get(`/v1/classes/${classId}/recordings`)).status).toBe(404);
      expect((await download(other, file)).status).toBe(404);
      expect((await download(tenant, `/v1/classes/${classId}/recordings/${classId}/file`)).status).toBe(404);

      // retention: admins only
      expect((await studentApi.put("/v1/recording-settings", { retentionDays: 1 })).status).toBe(403);
      const admin = await apiAs(url(), tenant, "admin-1", "school_admin");
      expect((await admin.get("/v1/recording-settings")).body).toEqual({ retentionDays: 90 });
      expect((await admin.put("/v1/recording-settings", { retentionDays: 0 })).status).toBe(400);
      expect((await admin.put("/v1/recording-settings", { retentionDays: 30 })).body).toEqual({ retentionDays: 30 });
      expect((await admin.get("/v1/recording-settings")).body).toEqual({ retentionDays: 30 });
      expect((await (await apiAs(url(), other, "admin-1", "school_admin")).get("/v1/recording-settings")).body).toEqual({ retentionDays: 90 });
    } finally {
      for (const p of [teacher, s1, s2]) await p.close();
    }
  }, 90_000);
});

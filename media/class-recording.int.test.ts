import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomUUID } from "node:crypto";
import { createWorker, type types } from "mediasoup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultLogger } from "../core/log";
import type { DatabaseHandle } from "../db/database";
import { LocalRecordingStorage } from "../db/recordings/recording-storage-local";
import { RecordingStore } from "../db/stores/recordings";
import { openTestPglite } from "../tests/support/pglite";
import { serviceEnv } from "../tests/support/services";
import { RtpSource } from "../tools/media/rtp-source";
import { classMediaCodecs } from "./codecs";
import { ClassRecording, type RecordingDeps } from "./class-recording";
import { recorderDefaults } from "./recorder-process";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ffprobe's view of a file: its streams' codecs and the container's duration. */
async function probe(path: string): Promise<{ codecs: string[]; duration: number }> {
  const { stdout } = await run(serviceEnv("FFPROBE_BIN"), ["-v", "error", "-show_entries", "stream=codec_type,codec_name:format=duration", "-of", "json", path]);
  const out = JSON.parse(stdout) as { streams: Array<{ codec_type: string; codec_name: string }>; format: { duration?: string } };
  return { codecs: out.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), duration: Number(out.format.duration) };
}

/** Decodes the whole file; resolves to the decoded duration in seconds (ffmpeg exits non-zero on undecodable input). */
async function decodedSeconds(path: string): Promise<number> {
  const { stderr } = await run(serviceEnv("FFMPEG_BIN"), ["-nostdin", "-v", "error", "-stats", "-i", path, "-f", "null", "-"]);
  const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+\.\d+)/g)].map((m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
  return times.at(-1) ?? 0;
}

// the three recordings run at once (one source, one recorder each), so the file takes ~25 s, not ~50 s
describe.concurrent("class recording (real mediasoup worker, real ffmpeg, real VP8/Opus)", () => {
  let worker: types.Worker;
  let router: types.Router;
  let source: RtpSource;
  let db: DatabaseHandle;
  let dir: string;
  let deps: RecordingDeps;
  const tenant = "school-a";

  beforeAll(async () => {
    worker = await createWorker({ workerBin: process.env.MEDIASOUP_WORKER_BIN || undefined, logLevel: "warn" });
    router = await worker.createRouter({ mediaCodecs: classMediaCodecs });
    source = await RtpSource.start(router, { ffmpegBin: serviceEnv("FFMPEG_BIN") });
    db = await openTestPglite();
    dir = await mkdtemp(join(tmpdir(), "rec-int-"));
    deps = { store: new RecordingStore(db.db), storage: new LocalRecordingStorage(join(dir, "store")), workDir: join(dir, "work"), limits: { ...recorderDefaults, ffmpegBin: serviceEnv("FFMPEG_BIN"), ffprobeBin: serviceEnv("FFPROBE_BIN") }, log: defaultLogger() };
  }, 30_000);
  afterAll(async () => {
    source?.stop();
    worker?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const stored = async (classId: string, id: string) => {
    const row = await deps.store.get(tenant, classId, id);
    if (!row) throw new Error("no row");
    const file = join(dir, `${id}.out`);
    const chunks: Buffer[] = [];
    for await (const c of await deps.storage.read(row.storageKey)) chunks.push(Buffer.from(c as Uint8Array));
    await writeFile(file, Buffer.concat(chunks));
    return { row, file };
  };

  it("records 20 s of a teacher's audio and video into one file: both streams, duration within 1 s", async () => {
    const classId = randomUUID();
    const called = Date.now();
    const recording = await ClassRecording.start(router, { video: source.video, audio: [source.audio] }, tenant, classId, deps);
    const started = Date.now();
    const startup = (started - called) / 1000;
    await sleep(20_000);
    // the truth: from the moment recording started (start resolved: class:record's ack, the indicator shows) to the
    // stop call (storing the file after the stop is not recorded time)
    const truth = (Date.now() - started) / 1000;
    await recording.stop();
    const [row] = await deps.store.list(tenant, classId);
    expect(row).toMatchObject({ status: "complete", part: 1, contentType: "video/webm" });
    const { file } = await stored(classId, row!.id);
    const p = await probe(file);
    console.log(`20 s recording: truth ${truth.toFixed(2)} s (started to stop call; starting took ${startup.toFixed(2)} s), ffprobe ${p.duration} s, ${row!.bytes} bytes, streams ${p.codecs.join(", ")}`);
    expect(p.codecs).toEqual(["audio:opus", "video:vp8"]);
    expect(Math.abs(p.duration - truth)).toBeLessThan(1);
    expect(row!.durationMs).toBeGreaterThan(19_000);
    expect(await decodedSeconds(file)).toBeGreaterThan(19);
  }, 60_000);

  it("mixes several audio producers into one Opus track beside the video", async () => {
    const second = await RtpSource.start(router, { width: 160, height: 120, fps: 10, videoKbps: 100, ffmpegBin: serviceEnv("FFMPEG_BIN") });
    try {
      const classId = randomUUID();
      await sleep(500);
      const recording = await ClassRecording.start(router, { video: source.video, audio: [source.audio, second.audio] }, tenant, classId, deps);
      await sleep(5_000);
      await recording.stop();
      const [row] = await deps.store.list(tenant, classId);
      expect(row?.status).toBe("complete");
      const p = await probe((await stored(classId, row!.id)).file);
      expect(p.codecs).toEqual(["audio:opus", "video:vp8"]);
      expect(p.duration).toBeGreaterThan(4);
    } finally {
      second.stop();
    }
  }, 30_000);

  it("refuses to start when the recorder cannot run, closing its part as failed without retrying", async () => {
    const classId = randomUUID();
    const broken = { ...deps, limits: { ...recorderDefaults, ffmpegBin: "/nonexistent/ffmpeg" } };
    await expect(ClassRecording.start(router, { video: source.video, audio: [source.audio] }, tenant, classId, broken)).rejects.toThrow(/did not start/);
    await sleep(1_500);
    expect((await deps.store.list(tenant, classId)).map((r) => r.status)).toEqual(["failed"]);
  }, 20_000);

  it("survives kill -9 of the recorder at 10 s: the first part is stored playable (≈ 10 s) and recording goes on in a second part", async () => {
    const classId = randomUUID();
    const recording = await ClassRecording.start(router, { video: source.video, audio: [source.audio] }, tenant, classId, deps);
    const started = Date.now();
    await sleep(10_000);
    const pid = recording.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    const killedAt = (Date.now() - started) / 1000;
    // the recorder restarts on its own; let the second part run a few seconds
    for (let i = 0; i < 50 && recording.partCount < 2; i++) await sleep(100);
    expect(recording.partCount).toBe(2);
    await sleep(4_000);
    await recording.stop();
    const rows = await deps.store.list(tenant, classId);
    expect(rows.map((r) => [r.part, r.status])).toEqual([
      [1, "recovered"],
      [2, "complete"],
    ]);
    const first = await stored(classId, rows[0]!.id);
    const p = await probe(first.file);
    const decoded = await decodedSeconds(first.file);
    console.log(`kill -9 at ${killedAt.toFixed(2)} s: part 1 ffprobe ${p.duration} s, decoded ${decoded} s, streams ${p.codecs.join(", ")}; part 2 ${rows[1]!.durationMs} ms`);
    expect(p.codecs).toEqual(["audio:opus", "video:vp8"]);
    expect(Math.abs(p.duration - killedAt)).toBeLessThan(1.5);
    expect(decoded).toBeGreaterThan(killedAt - 1.5);
    const second = await stored(classId, rows[1]!.id);
    expect((await probe(second.file)).codecs).toEqual(["audio:opus", "video:vp8"]);
  }, 60_000);
});

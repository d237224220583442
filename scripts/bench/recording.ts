/**
 * `npm run bench:recording [-- --steps 1,2,4,8 --seconds 10 --kbps 1000]`: CPU of recording live classes.
 * One real teacher stream (ffmpeg encodes a 640x360 25 fps VP8 test pattern at --kbps and an Opus tone,
 * sent as RTP into PlainTransport producers) is recorded by N ClassRecordings at once (each its own
 * PlainTransports, consumers and ffmpeg recorder process, as N classes would be). Per step: CPU of the
 * recorder processes (/proc, user + system) over --seconds, per recorder and in total, and the mediasoup
 * worker's extra CPU for the recording consumers. Files go to a temporary local storage, removed after.
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { createWorker } from "mediasoup";
import { defaultLogger } from "../../core/log";
import { openDatabase } from "../../db/database";
import { LocalRecordingStorage } from "../../db/recordings/recording-storage-local";
import { RecordingStore } from "../../db/stores/recordings";
import { ClassRecording } from "../../media/class-recording";
import { classMediaCodecs } from "../../media/codecs";
import { recorderDefaults } from "../../media/recorder-process";
import { RtpSource } from "../../tools/media/rtp-source";
import { ensureMediasoupWorker } from "../../tools/services/mediasoup";
import { ensureCommands } from "../../tools/services/packages";
import { cpuSeconds, rssKb } from "./proc";

const { values: args } = parseArgs({ options: { steps: { type: "string", default: "1,2,4,8" }, seconds: { type: "string", default: "10" }, kbps: { type: "string", default: "1000" } } });
const steps = args.steps.split(",").map(Number);
const SECONDS = Number(args.seconds);
const log = (line: string): void => console.log(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = await fsp.mkdtemp(join(tmpdir(), "bench-recording-"));
const database = await openDatabase({ dataDir: join(dir, "pglite") });
await database.migrate();
const workerBin = await ensureMediasoupWorker(process.env.MEDIASOUP_WORKER_BIN, log);
const bins = await ensureCommands(
  [
    { what: "ffmpeg", candidates: [process.env.FFMPEG_BIN ?? "/usr/bin/ffmpeg", "ffmpeg"], aptPackage: "ffmpeg" },
    { what: "ffprobe", candidates: [process.env.FFPROBE_BIN ?? "/usr/bin/ffprobe", "ffprobe"], aptPackage: "ffmpeg" },
  ],
  log,
);
const ffmpegBin = bins.get("ffmpeg") as string;
const worker = await createWorker({ workerBin, logLevel: "error", rtcMinPort: 47_000, rtcMaxPort: 47_999 });
const router = await worker.createRouter({ mediaCodecs: classMediaCodecs });
const source = await RtpSource.start(router, { width: 640, height: 360, fps: 25, videoKbps: Number(args.kbps), ffmpegBin });
const deps = {
  store: new RecordingStore(database.db),
  storage: new LocalRecordingStorage(join(dir, "store")),
  workDir: join(dir, "work"),
  limits: { ...recorderDefaults, ffmpegBin, ffprobeBin: bins.get("ffprobe") as string },
  log: defaultLogger(),
};
const quietLog = { ...deps, log: { ...deps.log, warn: () => undefined } as typeof deps.log };
await sleep(2_000);

const rows: string[] = [];
try {
  for (const n of steps) {
    const recordings: ClassRecording[] = [];
    const classIds = Array.from({ length: n }, () => randomUUID());
    for (const classId of classIds) recordings.push(await ClassRecording.start(router, { video: source.video, audio: [source.audio] }, "bench", classId, quietLog));
    await sleep(3_000); // probing done, steady state
    const pids = recordings.map((r) => r.pid ?? 0);
    const before = pids.map(cpuSeconds);
    const workerBefore = cpuSeconds(worker.pid);
    const t0 = process.hrtime.bigint();
    await sleep(SECONDS * 1000);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const used = pids.map((p, i) => cpuSeconds(p) - (before[i] ?? 0));
    const workerCpu = (cpuSeconds(worker.pid) - workerBefore) / wall;
    const total = used.reduce((a, b) => a + b, 0) / wall;
    const rss = pids.map(rssKb).reduce((a, b) => a + b, 0) / n / 1024;
    const per = total / n;
    await Promise.all(recordings.map((r) => r.stop()));
    const stored = (await Promise.all(classIds.map((c) => deps.store.list("bench", c)))).flat();
    const kbps = stored.reduce((a, r) => a + ((r.bytes ?? 0) * 8) / Math.max(1, r.durationMs ?? 1), 0) / Math.max(1, stored.length);
    const row = `| ${n} | ${kbps.toFixed(0)} kbit/s | ${(per * 100).toFixed(2)} % | ${rss.toFixed(0)} MiB | ${(total * 100).toFixed(1)} % | ${(workerCpu * 100).toFixed(1)} % | ${Math.floor(1 / per)} |`;
    rows.push(row);
    log(`${n} recording(s) of ${kbps.toFixed(0)} kbit/s: ${(per * 100).toFixed(2)} % of a core and ${rss.toFixed(0)} MiB each, ${(total * 100).toFixed(1)} % in total; mediasoup worker ${(workerCpu * 100).toFixed(1)} %`);
  }
} finally {
  source.stop();
  worker.close();
  await database.close();
  await fsp.rm(dir, { recursive: true, force: true });
}
console.log(`\n| recordings at once | recorded bitrate | recorder CPU per class | recorder RSS | recorders in total | mediasoup worker (source + recording consumers) | classes per core at this rate |\n| --- | --- | --- | --- | --- | --- | --- |\n${rows.join("\n")}`);

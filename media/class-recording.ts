import { randomUUID } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { types } from "mediasoup";
import type { RecordingStorage } from "../core/recording-storage";
import type { Logger } from "../core/log";
import type { RecordingStore } from "../db/stores/recordings";
import { RecorderProcess, freePortPair, whenPortBound, type RecorderLimits } from "./recorder-process";
import { recorderSdp, type SdpStream } from "./recorder-sdp";
import { finishInterruptedFile, probeDurationMs } from "./recording-file";

/** What recording needs from the media node's host (app/class-tier.ts). */
export interface RecordingDeps {
  store: RecordingStore;
  storage: RecordingStorage;
  /** Local directory for the files being written (DATA_DIR/recordings-work). */
  workDir: string;
  limits: RecorderLimits;
  log: Logger;
}

/** What is recorded: one video (the teacher's screen, else camera) and the audio producers (mixed when several). */
export interface RecordingSources {
  video?: types.Producer;
  audio: types.Producer[];
}

interface Part {
  id: string;
  number: number;
  file: string;
  startedAt: Date;
  transports: types.PlainTransport[];
  process: RecorderProcess;
  container: "webm" | "matroska";
}

const KEYFRAME_RETRIES = 10;
const MAX_FAILED_PARTS = 3;
const READY_WAIT_MS = 2_500;

/**
 * One recording session of a class: from `class:record` start to stop. The class's producers are consumed
 * through PlainTransports (RTP to 127.0.0.1) by an ffmpeg process writing Matroska/WebM (RecorderProcess).
 * Each process writes a part; when one dies unexpectedly, its file is finished (remuxed), stored as
 * "recovered", and a new part starts at once, so a recorder crash loses only the seconds around it.
 * A stored part's file is in the RecordingStorage and its row in the RecordingStore.
 */
export class ClassRecording {
  readonly sessionId = randomUUID();
  readonly startedAt = new Date();
  private current: Part | undefined;
  private stopping = false;
  /** Parts in a row that ended without writing anything: past MAX_FAILED_PARTS the recording gives up. */
  private failedParts = 0;
  private parts = 0;
  private readonly finished: Array<Promise<void>> = [];

  private constructor(
    private readonly router: types.Router,
    private readonly sources: RecordingSources,
    private readonly tenant: string,
    private readonly classId: string,
    private readonly deps: RecordingDeps,
  ) {}

  static async start(router: types.Router, sources: RecordingSources, tenant: string, classId: string, deps: RecordingDeps): Promise<ClassRecording> {
    const recording = new ClassRecording(router, sources, tenant, classId, deps);
    try {
      await recording.startPart();
    } catch (err) {
      // no restart of a recorder that never started; its part is closed as failed
      await recording.stop();
      throw err;
    }
    return recording;
  }

  /** The pid of the recorder process writing the current part (tests, benchmarks). */
  get pid(): number | undefined {
    return this.current?.process.pid;
  }

  /** Parts started so far. */
  get partCount(): number {
    return this.parts;
  }

  private live(): RecordingSources {
    return { video: this.sources.video?.closed ? undefined : this.sources.video, audio: this.sources.audio.filter((p) => !p.closed) };
  }

  private async startPart(): Promise<void> {
    const sources = this.live();
    if (!sources.video && sources.audio.length === 0) throw new Error("nothing left to record: the recorded producers closed");
    const id = randomUUID();
    const videoCodec = sources.video?.rtpParameters.codecs[0]?.mimeType.toLowerCase();
    const container = videoCodec === "video/h264" ? "matroska" : "webm";
    const dir = join(this.deps.workDir, this.tenant, this.classId);
    await fsp.mkdir(dir, { recursive: true });
    const file = join(dir, `${id}.${container === "webm" ? "webm" : "mkv"}`);
    const transports: types.PlainTransport[] = [];
    const consumers: types.Consumer[] = [];
    const streams: SdpStream[] = [];
    try {
      for (const producer of [...(sources.video ? [sources.video] : []), ...sources.audio]) {
        const port = await freePortPair();
        const transport = await this.router.createPlainTransport({ listenInfo: { protocol: "udp", ip: "127.0.0.1" }, rtcpMux: false, comedia: false });
        transports.push(transport);
        await transport.connect({ ip: "127.0.0.1", port, rtcpPort: port + 1 });
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: this.router.rtpCapabilities, paused: true });
        consumers.push(consumer);
        streams.push({ kind: consumer.kind, port, rtpParameters: consumer.rtpParameters });
      }
      const sdpPath = `${file}.sdp`;
      await fsp.writeFile(sdpPath, recorderSdp(streams));
      const process = new RecorderProcess(sdpPath, file, { container, mixAudio: sources.audio.length, limits: this.deps.limits });
      const part: Part = { id, number: ++this.parts, file, startedAt: new Date(), transports, process, container };
      this.current = part;
      await this.deps.store.open(this.tenant, {
        id,
        classId: this.classId,
        sessionId: this.sessionId,
        part: part.number,
        storageKey: this.storageKey(part),
        contentType: container === "webm" ? "video/webm" : "video/x-matroska",
        startedAt: part.startedAt,
      });
      this.finished.push(process.exited.then(({ code, signal }) => this.onExit(part, code, signal)));
      if (this.stopping) return void (await process.stop());
      // ffmpeg binds its RTP ports while it starts: send once it is listening, and ask for keyframes until it
      // found the video. The start waits for that at most READY_WAIT_MS (signaling has a 5 s budget); a recorder
      // slower to start (a loaded machine) is fed as soon as it listens.
      const exited = process.exited.then(() => false);
      const ready = (async () => {
        for (const st of streams) if (!(await Promise.race([whenPortBound(st.port, 15_000), exited]))) return false;
        return true;
      })();
      const feed = async (): Promise<void> => {
        if (!(await ready)) return void (await process.stop(1_000)); // never listened: its part ends empty (failed)
        for (const c of consumers) await c.resume();
        void this.requestKeyFrames(part, consumers);
      };
      const early = await Promise.race([ready, new Promise<undefined>((r) => setTimeout(r, READY_WAIT_MS))]);
      if (early === false) throw new Error(`the recorder did not start: ${process.log.slice(-300) || "no output"}`);
      if (early) await feed();
      else void feed().catch((err: unknown) => this.deps.log.error({ err, tenant: this.tenant, classId: this.classId }, "recording: feeding the recorder failed"));
    } catch (err) {
      for (const t of transports) t.close();
      await this.current?.process.stop(1_000);
      throw err;
    }
  }

  private async requestKeyFrames(part: Part, consumers: types.Consumer[]): Promise<void> {
    const video = consumers.filter((c) => c.kind === "video");
    for (let i = 0; i < KEYFRAME_RETRIES && video.length > 0; i++) {
      for (const c of video) await c.requestKeyFrame().catch(() => undefined);
      if (await part.process.whenProbed(1_000)) return;
    }
  }

  private storageKey(part: Part): string {
    return `${this.tenant}/${this.classId}/${part.id}.${part.container === "webm" ? "webm" : "mkv"}`;
  }

  private async onExit(part: Part, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    for (const t of part.transports) t.close();
    const graceful = this.stopping && (code === 0 || code === 255);
    const log = this.deps.log;
    const size = (await fsp.stat(part.file).catch(() => undefined))?.size ?? 0;
    if (!graceful) log.warn({ tenant: this.tenant, classId: this.classId, part: part.number, code, signal, ffmpeg: part.process.log.slice(-500) }, "recording: recorder exited unexpectedly");
    try {
      if (size === 0) {
        await this.deps.store.close(this.tenant, part.id, { status: "failed", endedAt: new Date(), bytes: 0, durationMs: 0 });
      } else {
        if (!graceful) await finishInterruptedFile(part.file, part.container, this.deps.limits.ffmpegBin);
        const durationMs = (await probeDurationMs(part.file, this.deps.limits.ffprobeBin)) ?? null;
        const bytes = await this.deps.storage.put(this.storageKey(part), part.file);
        await this.deps.store.close(this.tenant, part.id, { status: graceful ? "complete" : "recovered", endedAt: new Date(), bytes, durationMs });
      }
    } catch (err) {
      log.error({ err, tenant: this.tenant, classId: this.classId, part: part.number }, "recording: storing a part failed");
      await this.deps.store.close(this.tenant, part.id, { status: "failed", endedAt: new Date(), bytes: null, durationMs: null }).catch(() => undefined);
    } finally {
      await fsp.rm(part.file, { force: true });
      await fsp.rm(`${part.file}.sdp`, { force: true });
    }
    if (this.current === part) this.current = undefined;
    // a crash mid-class: the recording goes on in a new part
    this.failedParts = size === 0 ? this.failedParts + 1 : 0;
    if (this.failedParts >= MAX_FAILED_PARTS) log.error({ tenant: this.tenant, classId: this.classId }, "recording: the recorder keeps failing; recording stopped");
    else if (!this.stopping && !this.router.closed) {
      if (size === 0) await new Promise((r) => setTimeout(r, 1_000));
      await this.startPart().catch((err: unknown) => log.error({ err, tenant: this.tenant, classId: this.classId }, "recording: restarting the recorder failed"));
    }
  }

  /** Stops recording: the recorder finishes its file, which is stored. Resolves once every part is stored. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.current?.process.stop();
    // parts that ended (and the restarts they triggered) settle; waits for late additions too
    for (let seen = 0; seen < this.finished.length; seen = this.finished.length) await Promise.all(this.finished);
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { promises as fsp } from "node:fs";

/** Limits of one recorder process (docs/RECORDING.md "Resources"). */
export interface RecorderLimits {
  /** ffmpeg binary. Default `ffmpeg` on PATH (Debian's package). */
  ffmpegBin: string;
  /** ffprobe binary (durations of stored parts). Default `ffprobe` on PATH. */
  ffprobeBin: string;
  /** Scheduling niceness of the recorder (lower priority than the SFU). Default 10. */
  nice: number;
  /** Longest part one process writes, seconds (ffmpeg `-t`); the recorder starts a new part after it. Default 4 h. */
  maxPartSeconds: number;
}

export const recorderDefaults: RecorderLimits = { ffmpegBin: "ffmpeg", ffprobeBin: "ffprobe", nice: 10, maxPartSeconds: 4 * 3600 };

/**
 * Resolves true once a socket is bound to UDP `port` (the recorder listening), read from /proc/net/udp
 * without touching the port; false after `ms`.
 */
export async function whenPortBound(port: number, ms: number): Promise<boolean> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const table = await fsp.readFile("/proc/net/udp", "utf8").catch(() => "");
    if (table.split("\n").some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** A UDP port p with p + 1 also free (RTP and RTCP), on 127.0.0.1; free when probed (the recorder binds them next). */
export async function freePortPair(): Promise<number> {
  const bind = (port: number) =>
    new Promise<ReturnType<typeof createSocket> | undefined>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => {
        s.close();
        resolve(undefined);
      });
      s.bind(port, "127.0.0.1", () => resolve(s));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await bind(0);
    if (!first) continue;
    const port = first.address().port;
    const second = port % 2 === 0 ? await bind(port + 1) : undefined;
    first.close();
    second?.close();
    if (second) return port;
  }
  throw new Error("no free UDP port pair for the recorder");
}

/**
 * One ffmpeg process reading the streams of `sdpPath` (RTP on loopback) and writing `output`, without
 * transcoding video. Output: Matroska/WebM written cluster by cluster (a cluster per second at most, each
 * packet flushed), so a process killed at any moment leaves a file whose clusters up to the kill are
 * decodable; a graceful `stop()` (SIGINT) also writes the cues and duration.
 */
export class RecorderProcess {
  private readonly child: ChildProcess;
  private stderrTail = "";
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private probed = false;
  private readonly onProbed: Array<() => void> = [];

  constructor(sdpPath: string, output: string, options: { container: "webm" | "matroska"; mixAudio: number; limits: RecorderLimits }) {
    const { limits } = options;
    const audio: string[] =
      options.mixAudio > 1
        ? ["-filter_complex", `${Array.from({ length: options.mixAudio }, (_, i) => `[0:a:${i}]`).join("")}amix=inputs=${options.mixAudio}:normalize=0[a]`, "-map", "[a]", "-c:a", "libopus", "-b:a", "64k"]
        : options.mixAudio === 1
          ? ["-map", "0:a:0", "-c:a", "copy"]
          : [];
    const args = [
      "-n", String(limits.nice), limits.ffmpegBin,
      "-nostdin", "-hide_banner", "-loglevel", "info",
      "-protocol_whitelist", "file,udp,rtp",
      "-fflags", "+genpts",
      // arrival time as timestamps: a part's duration is the wall-clock time it covers, whatever the RTCP sender reports say
      "-use_wallclock_as_timestamps", "1",
      "-analyzeduration", "5000000", "-probesize", "5000000",
      "-reorder_queue_size", "500",
      "-f", "sdp", "-i", sdpPath,
      "-map", "0:v:0?", "-c:v", "copy",
      ...audio,
      "-threads", "1",
      "-t", String(limits.maxPartSeconds),
      "-cluster_time_limit", "1000", "-flush_packets", "1",
      "-f", options.container, "-y", output,
    ];
    this.child = spawn("nice", args, { stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
      if (!this.probed && this.stderrTail.includes("Output #0")) {
        this.probed = true;
        for (const f of this.onProbed.splice(0)) f();
      }
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines ffmpeg printed (for errors). */
  get log(): string {
    return this.stderrTail;
  }

  /** Resolves once ffmpeg found its input streams and opened the output (or false after `ms`). */
  whenProbed(ms: number): Promise<boolean> {
    if (this.probed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.onProbed.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Graceful stop: ffmpeg finishes the file (cues, duration). Killed after `graceMs` if still running. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** CPU seconds the process used so far (user + system, from /proc), or undefined once it is gone. */
  async cpuSeconds(): Promise<number | undefined> {
    return processCpuSeconds(this.child.pid);
  }
}

/** User + system CPU seconds of a live process, from /proc/<pid>/stat (Linux; USER_HZ 100). */
export async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const stat = await fsp.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

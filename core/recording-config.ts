import { join } from "node:path";

/** Recording of live classes (docs/RECORDING.md). */
export interface RecordingOptions {
  /** Where finished files go: "local" (default) or "s3". */
  storage: "local" | "s3";
  /** Local storage root. Default DATA_DIR/recordings. */
  dir: string;
  /** Files being written by recorders. Default DATA_DIR/recordings-work. */
  workDir: string;
  /** S3-compatible bucket (RECORDING_S3_*), when `storage` is "s3". */
  s3?: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; prefix: string };
  /** Recordings one media node runs at once; more are refused (5xxx Overloaded). Default 32 (docs/RECORDING.md "Capacity": ~50 MiB RSS each). */
  maxConcurrent: number;
  /** ffmpeg and ffprobe binaries (FFMPEG_BIN, FFPROBE_BIN). Default `ffmpeg` / `ffprobe` (Debian's package). */
  ffmpegBin: string;
  ffprobeBin: string;
  /** How often the retention sweeper runs, ms. Default one hour. */
  sweepIntervalMs: number;
}

const int = (value: string | undefined, fallback: number): number => {
  const n = value ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/** Recording options from RECORDING_* variables (and FFMPEG_BIN); S3 needs endpoint, bucket and keys. */
export function recordingOptionsFromEnv(env: NodeJS.ProcessEnv, dataDir: string): RecordingOptions {
  const storage = env.RECORDING_STORAGE === "s3" ? "s3" : "local";
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is required when RECORDING_STORAGE=s3`);
    return v;
  };
  return {
    storage,
    dir: env.RECORDING_DIR || join(dataDir, "recordings"),
    workDir: env.RECORDING_WORK_DIR || join(dataDir, "recordings-work"),
    s3:
      storage === "s3"
        ? {
            endpoint: need("RECORDING_S3_ENDPOINT"),
            region: env.RECORDING_S3_REGION || "us-east-1",
            bucket: need("RECORDING_S3_BUCKET"),
            accessKeyId: need("RECORDING_S3_ACCESS_KEY_ID"),
            secretAccessKey: need("RECORDING_S3_SECRET_ACCESS_KEY"),
            prefix: env.RECORDING_S3_PREFIX ?? "",
          }
        : undefined,
    maxConcurrent: int(env.RECORDING_MAX_CONCURRENT, 32),
    ffmpegBin: env.FFMPEG_BIN || "ffmpeg",
    ffprobeBin: env.FFPROBE_BIN || "ffprobe",
    sweepIntervalMs: int(env.RECORDING_SWEEP_INTERVAL_MS, 3_600_000),
  };
}

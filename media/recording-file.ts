import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The duration ffprobe reads from a file's container, ms (undefined when it has none, e.g. an unfinished Matroska). */
export async function probeDurationMs(path: string, ffprobeBin = "ffprobe"): Promise<number | undefined> {
  const { stdout } = await run(ffprobeBin, ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path], { timeout: 30_000 }).catch(() => ({ stdout: "" }));
  const seconds = Number.parseFloat(stdout.trim());
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

/**
 * Rewrites a file a killed recorder left (clusters, no cues or duration) into a finished one by
 * remuxing it (no transcoding); the part after the last complete packet is dropped. Keeps the original
 * when the remux fails. Resolves to the path of the playable file.
 */
export async function finishInterruptedFile(path: string, container: "webm" | "matroska", ffmpegBin = "ffmpeg"): Promise<string> {
  const fixed = `${path}.fixed`;
  try {
    await run("nice", ["-n", "10", ffmpegBin, "-nostdin", "-v", "error", "-i", path, "-map", "0", "-c", "copy", "-f", container, "-y", fixed], { timeout: 120_000 });
    if ((await fsp.stat(fixed)).size > 0) {
      await fsp.rename(fixed, path);
      return path;
    }
  } catch {
    // the unremuxed clusters are still decodable
  }
  await fsp.rm(fixed, { force: true });
  return path;
}

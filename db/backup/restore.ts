import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, ErrorCode } from "../../core/errors";
import { runCommand, type RunAs } from "./pg-tools";

export interface RestoreOptions {
  /** A base backup's directory (base.tar.gz, pg_wal.tar.gz). */
  baseDir: string;
  /** The WAL archive the server wrote to (archiveSettings). */
  walArchiveDir: string;
  /** The new data directory: absent or empty. */
  targetDir: string;
  /** Recover up to this instant (ISO 8601 with a zone) instead of the end of the archive. */
  targetTime?: string;
  /** OS user to own the data directory (the server's). */
  runAs?: RunAs;
}

/**
 * Prepares a data directory for point-in-time recovery: the base backup unpacked, `recovery.signal`, and
 * in postgresql.auto.conf a `restore_command` reading the WAL archive, the latest timeline, recovery up to
 * `targetTime` (or to the last archived segment) and promotion at the end. A server started on it replays
 * the archive, then promotes and accepts writes on a new timeline: every transaction committed in an
 * archived segment (before `targetTime`) is back; what was only in the lost server's unarchived WAL is not.
 */
export async function prepareRestore(options: RestoreOptions): Promise<{ targetDir: string; settings: string[] }> {
  const { baseDir, walArchiveDir, targetDir, runAs } = options;
  for (const [what, path] of [["base backup", join(baseDir, "base.tar.gz")], ["WAL archive", walArchiveDir]] as const) {
    if (!existsSync(path)) throw new AppError(ErrorCode.NotFound, `${what} not found: ${path}`);
  }
  if (/['"\\\s%]/.test(walArchiveDir)) throw new AppError(ErrorCode.BadRequest, `WAL archive path must not contain quotes, spaces, backslashes or %: ${walArchiveDir}`);
  if (options.targetTime !== undefined && Number.isNaN(Date.parse(options.targetTime))) throw new AppError(ErrorCode.BadRequest, `not a time: ${options.targetTime}`);
  if (existsSync(targetDir) && readdirSync(targetDir).length > 0) throw new AppError(ErrorCode.Conflict, `target data directory is not empty: ${targetDir}`);
  mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(targetDir, runAs.uid, runAs.gid);
  await runCommand("tar", ["-xzf", join(baseDir, "base.tar.gz"), "-C", targetDir], runAs);
  const wal = join(targetDir, "pg_wal");
  if (existsSync(join(baseDir, "pg_wal.tar.gz"))) await runCommand("tar", ["-xzf", join(baseDir, "pg_wal.tar.gz"), "-C", wal], runAs);
  const settings = [
    `restore_command = 'cp ${walArchiveDir}/%f %p'`,
    "recovery_target_timeline = 'latest'",
    "recovery_target_action = 'promote'",
    ...(options.targetTime ? [`recovery_target_time = '${new Date(options.targetTime).toISOString()}'`] : []),
  ];
  const auto = join(targetDir, "postgresql.auto.conf");
  appendFileSync(auto, `\n# point-in-time recovery from ${baseDir} (npm run db:restore, ${new Date().toISOString()})\n${settings.join("\n")}\n`);
  const signal = join(targetDir, "recovery.signal");
  writeFileSync(signal, "");
  if (runAs) for (const f of [auto, signal]) chownSync(f, runAs.uid, runAs.gid);
  return { targetDir, settings };
}

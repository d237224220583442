import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError, ErrorCode } from "../../core/errors";
import { pgBinDir, runPgTool, type RunAs } from "./pg-tools";

/** What `backup.json` beside a base backup records. */
export interface BaseBackup {
  /** The backup's directory: base.tar.gz, pg_wal.tar.gz, backup_manifest, backup.json. */
  dir: string;
  label: string;
  startedAt: string;
  finishedAt: string;
  /** Bytes of the compressed archives. */
  bytes: number;
}

export interface BaseBackupOptions {
  /** A superuser's or a REPLICATION role's connection URL of the server to back up. */
  url: string;
  /** Where base backups are kept, each in `base-<UTC time>/`. */
  backupsDir: string;
  /** PostgreSQL's binaries (default: `pgBinDir()`). */
  binDir?: string;
  /** OS user to run pg_basebackup as (its files are then that user's). */
  runAs?: RunAs;
}

const MANIFEST = "backup.json";

/**
 * Takes a base backup with pg_basebackup: compressed tar format, the WAL needed to make it consistent
 * streamed into it (`-X stream`, so it restores even without the archive), an immediate checkpoint.
 * Resolves once the backup is complete on disk with its `backup.json`; a half-written backup has no
 * `backup.json` and is never chosen by `latestBaseBackup`.
 */
export async function takeBaseBackup(options: BaseBackupOptions): Promise<BaseBackup> {
  const started = new Date();
  const label = `base-${started.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
  const dir = join(options.backupsDir, label);
  mkdirSync(options.backupsDir, { recursive: true });
  if (options.runAs) chownSync(options.backupsDir, options.runAs.uid, options.runAs.gid);
  await runPgTool(pgBinDir(options.binDir), "pg_basebackup", ["-d", options.url, "-D", dir, "-F", "tar", "-z", "-X", "stream", "-c", "fast", "-l", label, "-w"], options.runAs);
  const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const backup: BaseBackup = { dir, label, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), bytes };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(backup, null, 2) + "\n");
  return backup;
}

/** The newest complete base backup under `backupsDir` (one with its backup.json). */
export function latestBaseBackup(backupsDir: string): BaseBackup {
  if (!existsSync(backupsDir)) throw new AppError(ErrorCode.NotFound, `no backups directory ${backupsDir}`);
  const complete = readdirSync(backupsDir)
    .filter((name) => name.startsWith("base-"))
    .sort()
    .reverse()
    .find((name) => statSync(join(backupsDir, name, MANIFEST), { throwIfNoEntry: false })?.isFile());
  if (!complete) throw new AppError(ErrorCode.NotFound, `no complete base backup in ${backupsDir}`);
  return JSON.parse(readFileSync(join(backupsDir, complete, MANIFEST), "utf8")) as BaseBackup;
}

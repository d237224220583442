import { AppError, ErrorCode } from "../../core/errors";

/** Default `archive_timeout`: a WAL segment is archived at the latest this long after its first write. */
export const ARCHIVE_TIMEOUT_S = 60;

/**
 * The server settings of continuous WAL archiving to `archiveDir` (a directory the server's OS user may
 * write, on another disk or machine than the data directory: an NFS mount, a synced bucket mount).
 *
 * Guarantee (the RPO): a committed transaction is in the archive at most `archiveTimeoutS` (+ the copy)
 * after its commit — `archive_timeout` forces a segment switch when the current segment is older than
 * that, and a full segment (16 MB) is archived at once. With the default 60 s the data lost with the whole
 * server is at most about a minute of writes. Each segment is copied under a temporary name and renamed,
 * so a restore never reads a half-copied segment; an existing segment is never overwritten (the command
 * fails and the server retries, keeping the segment in pg_wal until the archive is fixed).
 */
export function archiveSettings(archiveDir: string, archiveTimeoutS = ARCHIVE_TIMEOUT_S): Record<string, string> {
  if (/['"\\\s%]/.test(archiveDir)) throw new AppError(ErrorCode.BadRequest, `WAL archive path must not contain quotes, spaces, backslashes or %: ${archiveDir}`);
  return {
    wal_level: "replica",
    archive_mode: "on",
    archive_command: `test ! -f ${archiveDir}/%f && cp %p ${archiveDir}/%f.part && mv ${archiveDir}/%f.part ${archiveDir}/%f`,
    archive_timeout: `${archiveTimeoutS}s`,
  };
}

/** The settings as `postgresql.conf` lines. */
export function settingsAsConf(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`)
    .join("\n");
}

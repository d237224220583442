/**
 * `npm run db:backup`: a base backup of the PostgreSQL server (pg_basebackup, compressed tar, with the WAL
 * that makes it consistent), into `<out>/base-<UTC time>/`. With the server archiving its WAL
 * (`--print-archive-settings`), a base backup + the archive restore to any instant up to the last
 * archived segment: `npm run db:restore`. Runbook: docs/OPERATIONS.md, "Backup and restore".
 *
 *   npm run db:backup -- [--out ./backups] [--url postgres://…] [--pg-bin /usr/lib/postgresql/15/bin] [--keep 7]
 *   npm run db:backup -- --print-archive-settings --archive /srv/wal-archive [--archive-timeout 60]
 *
 * --url defaults to DATABASE_URL (a superuser or a REPLICATION role); the tools default to PG_BIN or the
 * newest /usr/lib/postgresql/<v>/bin, which must match the server's major version. --keep N deletes all
 * but the newest N complete base backups (WAL older than the oldest kept one may then be archived away:
 * pg_archivecleanup <archive> <its oldest WAL file>).
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ARCHIVE_TIMEOUT_S, archiveSettings, settingsAsConf } from "../db/backup/archive-settings";
import { takeBaseBackup } from "../db/backup/base-backup";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "./backups" },
    url: { type: "string" },
    "pg-bin": { type: "string" },
    keep: { type: "string" },
    "print-archive-settings": { type: "boolean", default: false },
    archive: { type: "string" },
    "archive-timeout": { type: "string", default: String(ARCHIVE_TIMEOUT_S) },
  },
});

if (values["print-archive-settings"]) {
  if (!values.archive) throw new Error("--archive <dir> names the WAL archive directory");
  console.log(`# postgresql.conf (restart the server after changing archive_mode)\n${settingsAsConf(archiveSettings(values.archive, Number(values["archive-timeout"])))}`);
} else {
  const url = values.url ?? process.env.DATABASE_URL;
  if (!url) throw new Error("--url or DATABASE_URL names the server to back up");
  const backup = await takeBaseBackup({ url, backupsDir: values.out, binDir: values["pg-bin"] });
  const seconds = (Date.parse(backup.finishedAt) - Date.parse(backup.startedAt)) / 1000;
  console.log(`base backup ${backup.dir}: ${(backup.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s`);
  if (values.keep) {
    const keep = Number(values.keep);
    if (!Number.isInteger(keep) || keep < 1) throw new Error("--keep takes a count ≥ 1");
    const old = readdirSync(values.out).filter((n) => n.startsWith("base-")).sort().reverse().slice(keep);
    for (const name of old) rmSync(join(values.out, name), { recursive: true, force: true });
    if (old.length > 0) console.log(`deleted ${old.length} older base backups: ${old.join(", ")}`);
  }
}

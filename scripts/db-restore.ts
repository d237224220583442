/**
 * `npm run db:restore`: prepares a new PostgreSQL data directory from a base backup (`npm run db:backup`)
 * and the WAL archive, for point-in-time recovery; then start the server on it: it replays the archive
 * up to its last segment (or --target-time), promotes itself and takes writes on a new timeline.
 * Runbook: docs/OPERATIONS.md, "Backup and restore". Run it as the server's OS user (postgres), so the
 * data directory is that user's.
 *
 *   npm run db:restore -- --archive /srv/wal-archive --target /var/lib/postgresql/15/restored \
 *     [--backups ./backups | --base ./backups/base-20261129T233530Z] [--target-time 2026-11-29T23:40:00Z]
 */
import { parseArgs } from "node:util";
import { latestBaseBackup } from "../db/backup/base-backup";
import { prepareRestore } from "../db/backup/restore";

const { values } = parseArgs({
  options: {
    archive: { type: "string" },
    target: { type: "string" },
    backups: { type: "string", default: "./backups" },
    base: { type: "string" },
    "target-time": { type: "string" },
  },
});
if (!values.archive || !values.target) throw new Error("--archive <WAL archive dir> and --target <new data dir> are required");
const baseDir = values.base ?? latestBaseBackup(values.backups).dir;
const { targetDir, settings } = await prepareRestore({ baseDir, walArchiveDir: values.archive, targetDir: values.target, targetTime: values["target-time"] });
console.log(
  [
    `restore prepared in ${targetDir} from ${baseDir}:`,
    ...settings.map((s) => `  ${s}`),
    "next: start PostgreSQL on it (pg_ctl -D <dir> start, or point the service's data_directory at it);",
    "it replays the archive, then promotes: `select pg_is_in_recovery()` answers false once it takes writes.",
  ].join("\n"),
);

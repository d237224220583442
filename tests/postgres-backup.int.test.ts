import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { archiveSettings } from "../db/backup/archive-settings";
import { latestBaseBackup, takeBaseBackup } from "../db/backup/base-backup";
import { prepareRestore } from "../db/backup/restore";
import { pgBinDir } from "../db/backup/pg-tools";
import { postgresUser, startPostgres, startPostgresOn } from "../tools/services/postgres";
import type { ServiceProcess } from "../tools/services/process";

/** archive_timeout of the drill, s: 5 here (well under a minute of test); 60 in production (PG_BACKUP_ARCHIVE_TIMEOUT_S=60 for the full figure). */
const ARCHIVE_TIMEOUT_S = Number(process.env.PG_BACKUP_ARCHIVE_TIMEOUT_S ?? 5);
/** Writes after the base backup before the loss is timed, s: segments have been archived by the timeout alone. */
const WRITE_AFTER_BACKUP_S = 2 * ARCHIVE_TIMEOUT_S;
/** Copying a segment and the timer's granularity, s. */
const SLACK_S = 3;

/**
 * Backup and point-in-time restore of PostgreSQL (docs/OPERATIONS.md, "Backup and restore"): a server of
 * its own with WAL archiving (archiveSettings), rows written all along, a base backup (the code of
 * `npm run db:backup`) mid-way, then the server killed with SIGKILL and its data directory deleted. The
 * restore (the code of `npm run db:restore`) from the base backup and the archive brings back every row
 * up to the last archived segment: a contiguous prefix of what was written, everything written before
 * the base backup, and everything older than archive_timeout (+ slack) at the loss: the RPO.
 */
describe("PostgreSQL backup: base backup + WAL archive, restored after the server is destroyed", () => {
  const dir = mkdtempSync(join(tmpdir(), "interlinked-pg-backup-"));
  const procs: ServiceProcess[] = [];

  afterAll(async () => {
    await Promise.allSettled(procs.map((p) => p.stop(5_000)));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`restores every row of the archived WAL (archive_timeout ${ARCHIVE_TIMEOUT_S} s): RPO under archive_timeout + ${SLACK_S} s`, async () => {
    const postgresBin = join(pgBinDir(), "postgres");
    const user = await postgresUser();
    const archive = join(dir, "wal-archive");
    const backups = join(dir, "backups");
    chmodSync(dir, 0o755); // the server's user must reach its directories below it
    for (const d of [join(dir, "primary"), archive, backups, join(dir, "logs")]) {
      mkdirSync(d, { recursive: true });
      if (user) chownSync(d, user.uid, user.gid);
    }
    // durability settings as in production (the test server's defaults are for throwaway data)
    const durable = { synchronous_commit: "on", full_page_writes: "on" };
    const primary = await startPostgres(postgresBin, join(dir, "primary"), join(dir, "logs"), { ...durable, ...archiveSettings(archive, ARCHIVE_TIMEOUT_S) });
    procs.push(primary.proc);
    const client = new pg.Client({ connectionString: primary.url });
    client.on("error", () => undefined); // the server is killed under it
    await client.connect();
    await client.query("create table probe (id integer primary key, written_at timestamptz not null)");

    // one committed row every 50 ms, with the client's clock at commit
    const written: Array<{ id: number; at: number }> = [];
    let writing = true;
    const writer = (async () => {
      for (let id = 1; writing; id++) {
        await client.query("insert into probe (id, written_at) values ($1, now())", [id]);
        written.push({ id, at: Date.now() });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    const backup = await takeBaseBackup({ url: primary.url, backupsDir: backups, runAs: user });
    const beforeBackup = written.length;
    await new Promise((r) => setTimeout(r, WRITE_AFTER_BACKUP_S * 1000));
    // the worst moment for the loss: just before the next forced segment switch, archive_timeout after the
    // last one (seen as a segment appearing in the archive), so the last ~archive_timeout of writes is only
    // in the server's own WAL and the RPO measured is close to its bound
    const segments = (): number => readdirSync(archive).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
    const seen = segments();
    for (const until = Date.now() + 2 * ARCHIVE_TIMEOUT_S * 1000; segments() === seen && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, (ARCHIVE_TIMEOUT_S - 0.5) * 1000));

    // the loss: no shutdown, no last segment switch; the data directory is gone
    writing = false;
    primary.proc.child.kill("SIGKILL");
    const lostAt = Date.now();
    await writer.catch(() => undefined);
    await client.end().catch(() => undefined);
    await primary.proc.stop(1_000);
    rmSync(join(dir, "primary", "pgdata"), { recursive: true, force: true });
    const archived = segments();

    const restoreStarted = performance.now();
    const restored = join(dir, "restored");
    await prepareRestore({ baseDir: latestBaseBackup(backups).dir, walArchiveDir: archive, targetDir: restored, runAs: user });
    const server = await startPostgresOn(postgresBin, restored, join(dir, "primary"), join(dir, "logs"), durable, 120_000).catch((err: unknown) => {
      throw new Error(`the restored server did not start: ${readFileSync(join(dir, "logs", "postgres.log"), "utf8").slice(-2000)}`, { cause: err });
    });
    procs.push(server.proc);
    const after = new pg.Client({ connectionString: server.url });
    await after.connect();
    try {
      // archive recovery ends with a promotion: the server takes writes again
      for (let i = 0; (await after.query("select pg_is_in_recovery() as r")).rows[0].r === true; i++) {
        if (i > 600) throw new Error("still in recovery after 60 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      const restoreSeconds = (performance.now() - restoreStarted) / 1000;
      const ids = (await after.query("select id from probe order by id")).rows.map((r: { id: number }) => r.id);
      const lastBack = ids.at(-1) ?? 0;
      const firstLost = written.find((w) => w.id > lastBack);
      const rpoSeconds = firstLost ? (lostAt - firstLost.at) / 1000 : 0;
      console.log(
        `pg backup: base backup ${backup.label} ${(backup.bytes / 1e6).toFixed(1)} MB, ${archived} WAL segments archived; ` +
          `${written.length} rows written (${beforeBackup} before the base backup), ${ids.length} restored, ` +
          `${written.length - ids.length} lost: RPO ${rpoSeconds.toFixed(1)} s (archive_timeout ${ARCHIVE_TIMEOUT_S} s), restore ${restoreSeconds.toFixed(1)} s`,
      );
      // a contiguous prefix of what was written (no hole), reaching past the base backup
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
      expect(lastBack).toBeGreaterThan(beforeBackup);
      expect(rpoSeconds).toBeLessThan(ARCHIVE_TIMEOUT_S + SLACK_S);
      await after.query("insert into probe (id, written_at) values ($1, now())", [lastBack + 1]);
    } finally {
      await after.end();
    }
  }, 60_000 + 5 * ARCHIVE_TIMEOUT_S * 1000);
});

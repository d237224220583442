import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { defaultLogger, type Logger } from "../core/log";
import { findMigrationsFolder } from "./migrations-folder";
import * as schema from "./schema";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database: real PostgreSQL (`url`) or embedded PGlite (`dataDir`), one drizzle API over both. */
export interface DatabaseHandle {
  kind: "postgres" | "pglite";
  db: Database;
  /** Applies db/migrations (serialized across processes on PostgreSQL by an advisory lock). */
  migrate(): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… URL; when absent PGlite is used. */
  url?: string;
  /** PGlite data directory (created if missing). Default ./data/pglite. */
  dataDir?: string;
  /** Pool size for PostgreSQL. Default 10. */
  poolSize?: number;
  /** Where errors of idle pooled connections are logged. Default: the process's fallback logger. */
  log?: Logger;
}

/**
 * Makes `db.transaction` on a pg pool give its client back in every case.
 *
 * drizzle-orm 0.45's node-postgres `transaction` checks a client out and runs BEGIN before the try/finally that
 * releases it (drizzle-team/drizzle-orm#6023, #6241: open). A BEGIN that fails — the pooled connection died while
 * idle, as every one does when PostgreSQL restarts — leaks the client for the life of the process: the pool has
 * one connection less, and its `end()` waits for that client forever (a worker's close hung after a PostgreSQL
 * outage: tests/postgres-outage.int.test.ts).
 *
 * Here the client is checked out first, the transaction runs on a drizzle bound to that one client (drizzle does
 * not release a client it did not take), and the client is released whatever happens. pg-pool discards a
 * released client whose connection is gone, so a dead one is not handed out again.
 */
export function releasingTransactions(db: Database, pool: Pick<pg.Pool, "connect">, bind: (client: pg.PoolClient) => Database): void {
  const bound = new WeakMap<pg.PoolClient, Database>(); // one drizzle per pooled connection (the pool's clients live long)
  const transaction: Database["transaction"] = async (fn, config) => {
    const client = await pool.connect();
    try {
      let on = bound.get(client);
      if (!on) {
        on = bind(client);
        bound.set(client, on);
      }
      return await on.transaction(fn, config);
    } finally {
      client.release();
    }
  };
  db.transaction = transaction;
}

/** Located once at load; resolved relative to this module so it holds from source and from dist/. */
const migrationsFolder = findMigrationsFolder(import.meta.url);
const MIGRATION_LOCK = 727_001;

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    // UTC sessions: timestamps come back as `…+00`, which the driver reads the same whatever the server's TimeZone
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000, options: "-c TimeZone=UTC" });
    const log = options.log ?? defaultLogger();
    pool.on("error", (err) => log.error({ err }, "db: idle client error"));
    // A client checked out when the server goes away (restart, failover) emits `error` between queries;
    // unhandled, that would end the process. Its query rejects (and the pool discards it) either way.
    pool.on("connect", (client) => void client.on("error", (err) => log.error({ err }, "db: connection lost")));
    const db = drizzlePg({ client: pool, schema });
    releasingTransactions(db, pool, (client) => drizzlePg({ client, schema }));
    return {
      kind: "postgres",
      db,
      async migrate() {
        const lock = await pool.connect();
        try {
          await lock.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
          await migratePg(db, { migrationsFolder });
        } finally {
          await lock.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
          lock.release();
        }
      },
      ping: () => ping(db),
      close: () => pool.end(),
    };
  }
  const dataDir = options.dataDir ?? "./data/pglite";
  if (dataDir !== "memory://") mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite({ client, schema });
  return {
    kind: "pglite",
    db,
    migrate: () => migratePglite(db, { migrationsFolder }),
    ping: () => ping(db),
    close: () => client.close(),
  };
}

async function ping(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

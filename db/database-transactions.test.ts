import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { releasingTransactions, type Database } from "./database";
import * as schema from "./schema";

/** A pool of one fake client: the statements it was sent, how often it was released; `failing` statements reject. */
function fakePool(failing: RegExp | undefined) {
  const sent: string[] = [];
  let released = 0;
  const client = {
    query: async (q: string | { text: string }) => {
      const text = typeof q === "string" ? q : q.text;
      sent.push(text);
      if (failing?.test(text)) throw new Error("Connection terminated unexpectedly");
      return { rows: [], fields: [], rowCount: 0, command: "" };
    },
    release: () => void released++,
  };
  // drizzle treats a client whose class name holds "Pool" as a pool (it checks clients out of it)
  class FakePool {
    connect = async () => client;
    query = client.query;
  }
  return { pool: new FakePool(), client: client as unknown as pg.PoolClient, sent, released: () => released };
}

const withReleasing = (f: ReturnType<typeof fakePool>): Database => {
  const db = drizzle({ client: f.pool as unknown as pg.Pool, schema }) as unknown as Database;
  releasingTransactions(db, f.pool as unknown as pg.Pool, (client) => drizzle({ client, schema }) as unknown as Database);
  return db;
};

describe("releasingTransactions", () => {
  it("releases the client when BEGIN fails (a pooled connection that died while idle)", async () => {
    const f = fakePool(/^begin/);
    await expect(withReleasing(f).transaction(async () => "never")).rejects.toThrow();
    expect(f.released()).toBe(1);
  });

  it("commits on the client it checked out and releases it once; rolls back and releases when the work fails", async () => {
    const ok = fakePool(undefined);
    expect(await withReleasing(ok).transaction(async (tx) => (await tx.execute(sql`select 1`), "done"))).toBe("done");
    expect(ok.sent).toEqual(["begin", "select 1", "commit"]);
    expect(ok.released()).toBe(1);

    const failing = fakePool(undefined);
    await expect(withReleasing(failing).transaction(async () => Promise.reject(new Error("work failed")))).rejects.toThrow("work failed");
    expect(failing.sent).toEqual(["begin", "rollback"]);
    expect(failing.released()).toBe(1);
  });

  it("is still needed: drizzle's own pooled transaction leaks the client when BEGIN fails (drizzle-orm#6023)", async () => {
    // when this fails, drizzle releases the client itself and releasingTransactions can go
    const f = fakePool(/^begin/);
    const db = drizzle({ client: f.pool as unknown as pg.Pool, schema });
    await expect(db.transaction(async () => "never")).rejects.toThrow();
    expect(f.released()).toBe(0);
  });
});

import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "./database";
import { tenantTables } from "./schema";
import { withSystemScope, withTenant } from "./tenant-scope";
import { insertRoomMessages } from "./writers/room-messages";

const rowsOf = (result: unknown): Array<Record<string, unknown>> =>
  Array.isArray(result) ? result : ((result as { rows: Array<Record<string, unknown>> }).rows ?? []);

/** Row-level security: run against PGlite and PostgreSQL. */
export function runRlsContract(name: string, open: () => Promise<DatabaseHandle>): void {
  describe(`row-level security: ${name}`, () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      handle = await open();
      for (const tenant of ["rls-a", "rls-b"]) {
        await withTenant(handle.db, tenant, (tx) =>
          insertRoomMessages(tx, [{ v: 1, type: "room.message.created", id: randomUUID(), tenant, at: new Date().toISOString(), data: { room: "r", seq: 1, user: "u", text: `of ${tenant}` } }]),
        );
      }
    });
    afterAll(async () => handle.close());

    it("shows an application query without the tenant setting no row of any table", async () => {
      const counts = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('role', 'interlinked_app', true)`);
        const out: Record<string, number> = {};
        for (const table of tenantTables) out[table] = Number(rowsOf(await tx.execute(sql.raw(`select count(*) as n from "${table}"`)))[0]?.n);
        return out;
      });
      expect(Object.values(counts).every((n) => n === 0)).toBe(true);
      expect(Object.keys(counts)).toHaveLength(tenantTables.length);
      // the rows are there: the owner, outside RLS, sees both tenants
      expect(Number(rowsOf(await handle.db.execute(sql`select count(*) as n from room_messages where room = 'r'`))[0]?.n)).toBeGreaterThanOrEqual(2);
    });

    it("the delivery scheduler's setting (app.scheduler) opens notification_deliveries only, no other table", async () => {
      const counts = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('app.scheduler', 'on', true), set_config('role', 'interlinked_app', true)`);
        const out: Record<string, number> = {};
        for (const table of tenantTables) if (table !== "notification_deliveries") out[table] = Number(rowsOf(await tx.execute(sql.raw(`select count(*) as n from "${table}"`)))[0]?.n);
        return out;
      });
      expect(counts.room_messages).toBe(0);
      expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    });

    it("shows only the set tenant's rows even when the query asks for another's", async () => {
      const texts = await withTenant(handle.db, "rls-a", async (tx) => rowsOf(await tx.execute(sql`select text from room_messages where tenant_id in ('rls-a', 'rls-b')`)));
      expect(texts.map((r) => r.text)).toEqual(["of rls-a"]);
    });

    it("refuses writing a row of another tenant", async () => {
      await expect(
        withTenant(handle.db, "rls-a", (tx) =>
          insertRoomMessages(tx, [{ v: 1, type: "room.message.created", id: randomUUID(), tenant: "rls-b", at: new Date().toISOString(), data: { room: "r", seq: 9, user: "u", text: "forged" } }]),
        ),
      ).rejects.toThrow();
      await expect(withTenant(handle.db, "rls-a", (tx) => tx.execute(sql`update room_messages set text = 'x' where tenant_id = 'rls-b'`))).resolves.toBeDefined();
      const b = await withTenant(handle.db, "rls-b", async (tx) => rowsOf(await tx.execute(sql`select text from room_messages`)));
      expect(b.map((r) => r.text)).toEqual(["of rls-b"]);
    });

    it("gives each system scope read-only sight of its one table across tenants, and nothing else", async () => {
      for (const tenant of ["rls-a", "rls-b"]) {
        await withTenant(handle.db, tenant, (tx) =>
          tx.execute(sql`insert into api_keys (tenant_id, id, name, secret_hash, scopes, created_by) values (${tenant}, ${`k-${tenant}-${randomUUID()}`}, 'k', 'h', '[]'::jsonb, 'u')`),
        );
      }
      const seen = await withSystemScope(handle.db, "api-key-lookup", async (tx) => ({
        keys: rowsOf(await tx.execute(sql`select distinct tenant_id from api_keys where tenant_id like 'rls-%' order by tenant_id`)).map((r) => r.tenant_id),
        messages: Number(rowsOf(await tx.execute(sql`select count(*) as n from room_messages`))[0]?.n),
        deliveries: Number(rowsOf(await tx.execute(sql`select count(*) as n from webhook_deliveries`))[0]?.n),
      }));
      expect(seen).toEqual({ keys: ["rls-a", "rls-b"], messages: 0, deliveries: 0 });
      await expect(
        withSystemScope(handle.db, "api-key-lookup", (tx) => tx.execute(sql`insert into api_keys (tenant_id, id, name, secret_hash, scopes, created_by) values ('rls-a', 'forged', 'k', 'h', '[]'::jsonb, 'u')`)),
      ).rejects.toThrow();
      const updated = await withSystemScope(handle.db, "api-key-lookup", async (tx) => rowsOf(await tx.execute(sql`update api_keys set name = 'x' returning id`)));
      expect(updated).toEqual([]);
      const scheduler = await withSystemScope(handle.db, "webhook-scheduler", async (tx) => Number(rowsOf(await tx.execute(sql`select count(*) as n from api_keys`))[0]?.n));
      expect(scheduler).toBe(0);
    });
    it("keeps class rosters per school: another school's roster is invisible and cannot be overwritten", async () => {
      const classId = randomUUID();
      for (const tenant of ["rls-a", "rls-b"]) {
        await withTenant(handle.db, tenant, (tx) => tx.execute(sql`insert into class_rosters (tenant_id, class_id, mode, users, updated_by) values (${tenant}, ${classId}, 'list', ${JSON.stringify([`of-${tenant}`])}::jsonb, 'u')`));
      }
      const seen = await withTenant(handle.db, "rls-a", async (tx) => rowsOf(await tx.execute(sql`select tenant_id, users from class_rosters where class_id = ${classId}`)));
      expect(seen.map((r) => r.tenant_id)).toEqual(["rls-a"]);
      await withTenant(handle.db, "rls-a", (tx) => tx.execute(sql`update class_rosters set mode = 'school' where tenant_id = 'rls-b'`));
      const b = await withTenant(handle.db, "rls-b", async (tx) => rowsOf(await tx.execute(sql`select mode from class_rosters where class_id = ${classId}`)));
      expect(b.map((r) => r.mode)).toEqual(["list"]);
      await expect(withTenant(handle.db, "rls-a", (tx) => tx.execute(sql`insert into class_rosters (tenant_id, class_id, mode, updated_by) values ('rls-b', ${randomUUID()}, 'school', 'u')`))).rejects.toThrow();
    });
  });
}

import { sql } from "drizzle-orm";
import type { Database } from "./database";

/**
 * Runs `fn` in a transaction bound to one tenant: `app.tenant` is set for the transaction and the role
 * is switched to `interlinked_app`, so row-level security (migration 0002_rls) shows and accepts only
 * that tenant's rows, whatever the query says.
 */
export function withTenant<T>(db: Database, tenant: string, fn: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.tenant', ${tenant}, true), set_config('role', 'interlinked_app', true)`);
    return fn(tx as unknown as Database);
  });
}

/** Groups items by tenant, keeping their order within each tenant. */
export function byTenant<T extends { tenant: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.tenant);
    if (group) group.push(item);
    else groups.set(item.tenant, [item]);
  }
  return groups;
}

/** The read-only cross-tenant scopes of system tasks (policies of migration 0004): SELECT only, on one table each. */
export type SystemScope = "webhook-scheduler" | "api-key-lookup";

/**
 * Runs `fn` as `interlinked_app` with `app.scope` set and no tenant: row-level security then shows the
 * rows of every tenant of the one table the scope's policy names (webhook_deliveries, api_keys), read-only,
 * and nothing of any other table. Used to find which tenant to work for; the work runs in `withTenant`.
 */
export function withSystemScope<T>(db: Database, scope: SystemScope, fn: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.scope', ${scope}, true), set_config('role', 'interlinked_app', true)`);
    return fn(tx as unknown as Database);
  });
}

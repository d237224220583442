import { and, asc, desc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Database } from "../database";
import { notificationDeliveries } from "../schema";
import { withTenant } from "../tenant-scope";

export type DeliveryChannel = "email" | "push";

/** What to enqueue: one notification to one user on one channel and target (address or push endpoint). */
export interface NewDelivery {
  tenant: string;
  id: string;
  notificationId: string;
  user: string;
  channel: DeliveryChannel;
  target: string;
  payload: Record<string, unknown>;
  /** When it may first be sent (now, or the end of the user's quiet hours). */
  notBefore: Date;
}

export interface DueDelivery extends Omit<NewDelivery, "notBefore"> {
  /** Attempts made before this one. */
  attempts: number;
}

export interface DeliveryRow extends DueDelivery {
  status: "pending" | "delivered" | "dead";
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

type Row = typeof notificationDeliveries.$inferSelect;
const toDue = (r: Row): DueDelivery => ({
  tenant: r.tenantId, id: r.id, notificationId: r.notificationId, user: r.userId, channel: r.channel, target: r.target, payload: r.payload, attempts: r.attempts,
});
const toRow = (r: Row): DeliveryRow => ({ ...toDue(r), status: r.status, nextAttemptAt: r.nextAttemptAt, lastError: r.lastError, createdAt: r.createdAt, finishedAt: r.finishedAt });

/**
 * Outbound notification deliveries, persisted so that retries, quiet hours and rate limits survive
 * restarts and are shared by every worker node.
 *
 * Guarantees: `enqueue` is idempotent (one row per notification, user, channel and target); `claimDue`
 * hands each due row to one caller (`FOR UPDATE SKIP LOCKED`) and leases it for `leaseMs` (a claimer that
 * dies leaves it due again after the lease): delivery is at least once.
 */
export class NotificationDeliveryStore {
  constructor(private readonly db: Database) {}

  async enqueue(items: NewDelivery[]): Promise<void> {
    const tenants = new Map<string, NewDelivery[]>();
    for (const i of items) tenants.set(i.tenant, [...(tenants.get(i.tenant) ?? []), i]);
    for (const [tenant, list] of tenants) {
      await withTenant(this.db, tenant, (tx) =>
        tx
          .insert(notificationDeliveries)
          .values(list.map((i) => ({ tenantId: i.tenant, id: i.id, notificationId: i.notificationId, userId: i.user, channel: i.channel, target: i.target, payload: i.payload, nextAttemptAt: i.notBefore })))
          .onConflictDoNothing(),
      );
    }
  }

  /** Claims up to `limit` pending rows due at `now`, of every tenant, leased until `now + leaseMs`. */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<DueDelivery[]> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('app.scheduler', 'on', true), set_config('role', 'interlinked_app', true)`);
      const due = await tx
        .select({ tenantId: notificationDeliveries.tenantId, id: notificationDeliveries.id })
        .from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.status, "pending"), lte(notificationDeliveries.nextAttemptAt, now)))
        .orderBy(asc(notificationDeliveries.nextAttemptAt))
        .limit(limit)
        .for("update", { skipLocked: true });
      if (due.length === 0) return [];
      const rows = await tx
        .update(notificationDeliveries)
        .set({ nextAttemptAt: new Date(now.getTime() + leaseMs) })
        .where(and(eq(notificationDeliveries.status, "pending"), inArray(notificationDeliveries.id, due.map((d) => d.id))))
        .returning();
      return rows.map(toDue);
    });
  }

  private finish(tenant: string, id: string, set: Partial<typeof notificationDeliveries.$inferInsert>): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.update(notificationDeliveries).set(set).where(and(eq(notificationDeliveries.tenantId, tenant), eq(notificationDeliveries.id, id)));
    });
  }

  delivered(d: DueDelivery, at: Date): Promise<void> {
    return this.finish(d.tenant, d.id, { status: "delivered", attempts: d.attempts + 1, finishedAt: at, lastError: null });
  }

  /** A failed attempt to be retried at `at`. */
  retryAt(d: DueDelivery, at: Date, error: string): Promise<void> {
    return this.finish(d.tenant, d.id, { attempts: d.attempts + 1, nextAttemptAt: at, lastError: error.slice(0, 1_000) });
  }

  /** Not attempted (rate limit): due again at `at`, the attempt count unchanged. */
  deferTo(d: DueDelivery, at: Date): Promise<void> {
    return this.finish(d.tenant, d.id, { nextAttemptAt: at });
  }

  /** Dead-lettered: the retry schedule is spent, or the target is gone for good. */
  dead(d: DueDelivery, at: Date, error: string, attempted: boolean): Promise<void> {
    return this.finish(d.tenant, d.id, { status: "dead", attempts: d.attempts + (attempted ? 1 : 0), finishedAt: at, lastError: error.slice(0, 1_000) });
  }

  /** The deliveries of one notification in a tenant (operators, tests). */
  ofNotification(tenant: string, notificationId: string): Promise<DeliveryRow[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.tenantId, tenant), eq(notificationDeliveries.notificationId, notificationId)));
      return rows.map(toRow);
    });
  }

  /** A tenant's deliveries of one status, newest first. */
  list(tenant: string, status: DeliveryRow["status"], limit: number): Promise<DeliveryRow[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.tenantId, tenant), eq(notificationDeliveries.status, status)))
        .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
        .limit(limit);
      return rows.map(toRow);
    });
  }

  /** Puts dead deliveries of the tenant back on the schedule (due at `now`, attempts from zero); how many. */
  requeue(tenant: string, ids: string[], now: Date): Promise<number> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .update(notificationDeliveries)
        .set({ status: "pending", attempts: 0, nextAttemptAt: now, finishedAt: null })
        .where(and(eq(notificationDeliveries.tenantId, tenant), eq(notificationDeliveries.status, "dead"), inArray(notificationDeliveries.id, ids)))
        .returning({ id: notificationDeliveries.id });
      return rows.length;
    });
  }
}

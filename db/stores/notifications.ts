import { and, count, desc, eq, getTableColumns, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../database";
import { notifications } from "../schema";
import { withTenant } from "../tenant-scope";

export interface NotificationView {
  id: string;
  feed: string | null;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  createdAt: string;
  readAt: string | null;
}

type Row = Pick<typeof notifications.$inferSelect, "id" | "feed" | "title" | "body" | "data"> & { createdAt: Date | string; readAt: Date | string | null };
const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

function toView(r: Row): NotificationView {
  return { id: r.id, feed: r.feed, title: r.title, body: r.body, data: r.data ?? null, createdAt: iso(r.createdAt), readAt: r.readAt === null ? null : iso(r.readAt) };
}

/** A user's persisted notifications (written by the notifications worker). */
export class NotificationStore {
  constructor(private readonly db: Database) {}

  /** Newest first; `before` is the createdAt cursor of the previous page. */
  list(tenant: string, user: string, options: { unreadOnly: boolean; before?: Date; limit: number }): Promise<{ items: NotificationView[]; unread: number }> {
    return withTenant(this.db, tenant, async (tx) => {
      const mine = and(eq(notifications.tenantId, tenant), eq(notifications.userId, user));
      const rows = await tx
        .select()
        .from(notifications)
        .where(and(mine, options.unreadOnly ? isNull(notifications.readAt) : undefined, options.before ? lt(notifications.createdAt, options.before) : undefined))
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(options.limit);
      const [unread] = await tx.select({ n: count() }).from(notifications).where(and(mine, isNull(notifications.readAt)));
      return {
        items: rows.map(toView),
        unread: Number(unread?.n ?? 0),
      };
    });
  }

  /**
   * The unread backlog of several users of a tenant at once — the newest `limit` of each, and each one's
   * unread count — in one transaction of two queries (a connect storm's backlogs, batched). The users go
   * as one JSON parameter, not one parameter each (`inArray`): building and sending 500 parameters twice
   * per batch was most of a connect's PostgreSQL CPU (drizzle builds each parameter as a query chunk).
   */
  backlogs(tenant: string, users: string[], limit: number): Promise<Map<string, { items: NotificationView[]; unread: number }>> {
    return withTenant(this.db, tenant, async (tx) => {
      const anyUser = sql`any(array(select jsonb_array_elements_text(${JSON.stringify(users)}::jsonb)))`;
      const unreadOf = and(eq(notifications.tenantId, tenant), sql`${notifications.userId} = ${anyUser}`, isNull(notifications.readAt));
      const rank = sql<number>`row_number() over (partition by ${notifications.userId} order by ${notifications.createdAt} desc, ${notifications.id} desc)`;
      const ranked = tx.select({ ...getTableColumns(notifications), rank: rank.as("rank") }).from(notifications).where(unreadOf).as("ranked");
      const rows = await tx.select().from(ranked).where(lte(ranked.rank, limit)).orderBy(ranked.userId, ranked.rank);
      const counts = await tx.select({ user: notifications.userId, n: count() }).from(notifications).where(unreadOf).groupBy(notifications.userId);
      const out = new Map(users.map((u) => [u, { items: [] as NotificationView[], unread: 0 }]));
      for (const c of counts) out.get(c.user)!.unread = Number(c.n);
      for (const r of rows) out.get(r.userId)?.items.push(toView(r));
      return out;
    });
  }

  /** Marks the given notifications (or all, when `ids` is undefined) read; returns how many changed. */
  markRead(tenant: string, user: string, ids: string[] | undefined): Promise<number> {
    return withTenant(this.db, tenant, async (tx) => {
      const changed = await tx
        .update(notifications)
        .set({ readAt: new Date() })
        .where(and(eq(notifications.tenantId, tenant), eq(notifications.userId, user), isNull(notifications.readAt), ids ? inArray(notifications.id, ids) : undefined))
        .returning({ id: notifications.id });
      return changed.length;
    });
  }
}

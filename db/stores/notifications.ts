import { and, count, desc, eq, inArray, isNull, lt } from "drizzle-orm";
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
        items: rows.map((r) => ({
          id: r.id,
          feed: r.feed,
          title: r.title,
          body: r.body,
          data: r.data ?? null,
          createdAt: r.createdAt.toISOString(),
          readAt: r.readAt?.toISOString() ?? null,
        })),
        unread: Number(unread?.n ?? 0),
      };
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

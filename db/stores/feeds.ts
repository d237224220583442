import { and, asc, eq, sql } from "drizzle-orm";
import { AppError, ErrorCode } from "../../core/errors";
import type { Database } from "../database";
import { feedSubscriptions, feeds } from "../schema";
import { withTenant } from "../tenant-scope";

export interface FeedView {
  feed: string;
  kind: "announcements" | "course";
  title: string;
  subscribed: boolean;
}

/** A school's feeds (announcements, courses) and who subscribes to them. */
export class FeedStore {
  constructor(private readonly db: Database) {}

  create(tenant: string, input: { feed: string; kind: "announcements" | "course"; title: string }): Promise<FeedView> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.insert(feeds).values({ tenantId: tenant, ...input }).onConflictDoNothing().returning();
      if (!row) throw new AppError(ErrorCode.Conflict, `feed "${input.feed}" exists`);
      return { feed: row.feed, kind: row.kind, title: row.title, subscribed: false };
    });
  }

  list(tenant: string, user: string): Promise<FeedView[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const subscribed = sql<boolean>`exists (select 1 from ${feedSubscriptions} s where s.tenant_id = ${feeds.tenantId} and s.feed = ${feeds.feed} and s.user_id = ${user})`;
      const rows = await tx.select({ f: feeds, subscribed }).from(feeds).where(eq(feeds.tenantId, tenant)).orderBy(asc(feeds.feed));
      return rows.map((r) => ({ feed: r.f.feed, kind: r.f.kind, title: r.f.title, subscribed: Boolean(r.subscribed) }));
    });
  }

  /** Subscribes a user to an existing feed of the tenant (404 otherwise). */
  subscribe(tenant: string, feed: string, user: string): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      const [exists] = await tx.select({ feed: feeds.feed }).from(feeds).where(and(eq(feeds.tenantId, tenant), eq(feeds.feed, feed)));
      if (!exists) throw new AppError(ErrorCode.NotFound, `no feed "${feed}"`);
      await tx.insert(feedSubscriptions).values({ tenantId: tenant, feed, userId: user }).onConflictDoNothing();
    });
  }

  unsubscribe(tenant: string, feed: string, user: string): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.delete(feedSubscriptions).where(and(eq(feedSubscriptions.tenantId, tenant), eq(feedSubscriptions.feed, feed), eq(feedSubscriptions.userId, user)));
    });
  }

  /** Subscribers of a feed (404 when the feed does not exist). */
  subscribers(tenant: string, feed: string): Promise<string[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const [exists] = await tx.select({ feed: feeds.feed }).from(feeds).where(and(eq(feeds.tenantId, tenant), eq(feeds.feed, feed)));
      if (!exists) throw new AppError(ErrorCode.NotFound, `no feed "${feed}"`);
      const rows = await tx.select({ user: feedSubscriptions.userId }).from(feedSubscriptions).where(and(eq(feedSubscriptions.tenantId, tenant), eq(feedSubscriptions.feed, feed)));
      return rows.map((r) => r.user);
    });
  }
}

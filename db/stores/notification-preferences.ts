import { and, eq, inArray, sql } from "drizzle-orm";
import { CHANNELS, channelEnabled, withDefaults, type FeedKind, type NotificationPreferences } from "../../core/notification-preferences";
import type { Database } from "../database";
import { feeds, notificationPreferences, pushSubscriptions } from "../schema";
import { withTenant } from "../tenant-scope";

export interface PushSubscriptionRecord {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/**
 * Users' notification preferences and web push subscriptions, per tenant (row-level security).
 * A user who never set preferences reads the defaults (in-app on, the rest off).
 */
export class NotificationPreferenceStore {
  constructor(private readonly db: Database) {}

  get(tenant: string, user: string): Promise<NotificationPreferences> {
    return this.many(tenant, [user]).then((m) => m.get(user) ?? withDefaults(null));
  }

  /** The preferences of several users of a tenant in one query (defaults for those without a row). */
  many(tenant: string, users: string[]): Promise<Map<string, NotificationPreferences>> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows =
        users.length === 0
          ? []
          : await tx
              .select({ user: notificationPreferences.userId, prefs: notificationPreferences.preferences })
              .from(notificationPreferences)
              .where(and(eq(notificationPreferences.tenantId, tenant), inArray(notificationPreferences.userId, users)));
      const found = new Map(rows.map((r) => [r.user, withDefaults(r.prefs as Partial<NotificationPreferences>)]));
      return new Map(users.map((u) => [u, found.get(u) ?? withDefaults(null)]));
    });
  }

  /**
   * The preferences of the recipients of a notification of `feed` (undefined: sent by name), with the
   * feed's kind (for `kinds` overrides), in one transaction.
   */
  forNotification(tenant: string, users: string[], feed: string | undefined): Promise<{ prefs: Map<string, NotificationPreferences>; kind?: FeedKind }> {
    return withTenant(this.db, tenant, async (tx) => {
      const kindRow = feed === undefined ? [] : await tx.select({ kind: feeds.kind }).from(feeds).where(and(eq(feeds.tenantId, tenant), eq(feeds.feed, feed)));
      const rows =
        users.length === 0
          ? []
          : await tx
              .select({ user: notificationPreferences.userId, prefs: notificationPreferences.preferences })
              .from(notificationPreferences)
              .where(and(eq(notificationPreferences.tenantId, tenant), inArray(notificationPreferences.userId, users)));
      const found = new Map(rows.map((r) => [r.user, withDefaults(r.prefs as Partial<NotificationPreferences>)]));
      return { prefs: new Map(users.map((u) => [u, found.get(u) ?? withDefaults(null)])), kind: kindRow[0]?.kind };
    });
  }

  /** Replaces the user's preferences (the whole document); returns what is stored. */
  put(tenant: string, user: string, prefs: NotificationPreferences): Promise<NotificationPreferences> {
    return withTenant(this.db, tenant, async (tx) => {
      const doc = prefs as unknown as Record<string, unknown>;
      await tx
        .insert(notificationPreferences)
        .values({ tenantId: tenant, userId: user, preferences: doc })
        .onConflictDoUpdate({ target: [notificationPreferences.tenantId, notificationPreferences.userId], set: { preferences: doc, updatedAt: sql`now()` } });
      return withDefaults(prefs);
    });
  }

  /**
   * Which of `users` want a notification of `feed` (undefined: sent by name) on `channel` — e.g. the
   * school's webhook (`webhook`) or the in-app push (`inApp`).
   */
  async wanting(tenant: string, users: string[], channel: "inApp" | "webhook", feed: string | undefined): Promise<string[]> {
    const { prefs, kind } = await this.forNotification(tenant, users, feed);
    return users.filter((u) => channelEnabled(prefs.get(u) ?? withDefaults(null), channel, feed, kind));
  }

  /** Which of `users` turned `feed` (or its kind) off entirely (every channel false for it): they get nothing from it. */
  async feedTurnedOff(tenant: string, users: string[], feed: string): Promise<Set<string>> {
    const { prefs, kind } = await this.forNotification(tenant, users, feed);
    return new Set(users.filter((u) => CHANNELS.every((ch) => !channelEnabled(prefs.get(u) ?? withDefaults(null), ch, feed, kind))));
  }

  /** Registers (or refreshes the keys of) a push subscription of the user. */
  addPushSubscription(tenant: string, user: string, sub: PushSubscriptionRecord): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .insert(pushSubscriptions)
        .values({ tenantId: tenant, userId: user, ...sub })
        .onConflictDoUpdate({ target: [pushSubscriptions.tenantId, pushSubscriptions.userId, pushSubscriptions.endpoint], set: { p256dh: sub.p256dh, auth: sub.auth } });
    });
  }

  /** Removes a subscription of the user; whether there was one. */
  removePushSubscription(tenant: string, user: string, endpoint: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const gone = await tx
        .delete(pushSubscriptions)
        .where(and(eq(pushSubscriptions.tenantId, tenant), eq(pushSubscriptions.userId, user), eq(pushSubscriptions.endpoint, endpoint)))
        .returning({ endpoint: pushSubscriptions.endpoint });
      return gone.length > 0;
    });
  }

  /** The push subscriptions of several users of a tenant. */
  pushSubscriptionsOf(tenant: string, users: string[]): Promise<Map<string, PushSubscriptionRecord[]>> {
    return withTenant(this.db, tenant, async (tx) => {
      const out = new Map<string, PushSubscriptionRecord[]>();
      if (users.length === 0) return out;
      const rows = await tx
        .select()
        .from(pushSubscriptions)
        .where(and(eq(pushSubscriptions.tenantId, tenant), inArray(pushSubscriptions.userId, users)));
      for (const r of rows) {
        const list = out.get(r.userId) ?? [];
        list.push({ endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth });
        out.set(r.userId, list);
      }
      return out;
    });
  }
}

import { and, count, eq, gt } from "drizzle-orm";
import type { Database } from "../database";
import { conversations, notifications, roomMessages, rooms, tenantQuotas } from "../schema";
import { withTenant } from "../tenant-scope";

/** Quotas of a tenant; the defaults apply where no override is stored. */
export interface Quotas {
  maxConnections: number;
  maxMessagesPerSecond: number;
  maxBroadcastRecipients: number;
  maxPayloadBytes: number;
  apiRequestsPerMinute: number;
  /**
   * Seconds per grace period (24 h from the first overflow) a school may run above 100 % of its
   * connection or message-rate quota (up to twice it), warned, before it is refused. 0: no grace.
   */
  overflowGraceSeconds: number;
}

export const defaultQuotas: Quotas = {
  maxConnections: 100,
  maxMessagesPerSecond: 1_000,
  maxBroadcastRecipients: 10_000,
  maxPayloadBytes: 65_536,
  apiRequestsPerMinute: 1_000,
  overflowGraceSeconds: 3_600,
};

export type QuotaOverrides = { [K in keyof Quotas]?: number | null };

/** Per-tenant quota overrides and usage figures from the database. */
export class TenantStore {
  /** `defaults`: the limits where a tenant has no override (maxPayloadBytes from MAX_MESSAGE_BYTES, see app/). */
  constructor(
    private readonly db: Database,
    readonly defaults: Quotas = defaultQuotas,
  ) {}

  overrides(tenant: string): Promise<QuotaOverrides> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(tenantQuotas).where(eq(tenantQuotas.tenantId, tenant));
      if (!row) return {};
      const { tenantId: _t, updatedAt: _u, ...overrides } = row;
      return overrides;
    });
  }

  async quotas(tenant: string): Promise<Quotas> {
    const overrides = await this.overrides(tenant);
    const effective = { ...this.defaults };
    for (const key of Object.keys(this.defaults) as Array<keyof Quotas>) {
      const value = overrides[key];
      if (typeof value === "number") effective[key] = value;
    }
    return effective;
  }

  /** Sets overrides; `null` clears one back to the default. */
  setOverrides(tenant: string, overrides: QuotaOverrides): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .insert(tenantQuotas)
        .values({ tenantId: tenant, ...overrides, updatedAt: new Date() })
        .onConflictDoUpdate({ target: tenantQuotas.tenantId, set: { ...overrides, updatedAt: new Date() } });
    });
  }

  usage(tenant: string, since: Date): Promise<{ rooms: number; conversations: number; messagesSince: number; notificationsSince: number }> {
    return withTenant(this.db, tenant, async (tx) => {
      const n = async (q: Promise<Array<{ n: number }>>) => Number((await q)[0]?.n ?? 0);
      return {
        rooms: await n(tx.select({ n: count() }).from(rooms).where(eq(rooms.tenantId, tenant))),
        conversations: await n(tx.select({ n: count() }).from(conversations).where(eq(conversations.tenantId, tenant))),
        messagesSince: await n(tx.select({ n: count() }).from(roomMessages).where(and(eq(roomMessages.tenantId, tenant), gt(roomMessages.sentAt, since)))),
        notificationsSince: await n(tx.select({ n: count() }).from(notifications).where(and(eq(notifications.tenantId, tenant), gt(notifications.createdAt, since)))),
      };
    });
  }
}

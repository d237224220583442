import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../database";
import { users, webhookDeliveries, webhookEndpoints, webhookSessions } from "../schema";
import { withSystemScope, withTenant } from "../tenant-scope";

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  failureStreak: number;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What the delivery worker needs of an endpoint. */
export interface WebhookTarget {
  id: string;
  url: string;
  events: string[];
  secret: string;
}

export interface DeliveryRow {
  tenant: string;
  id: string;
  seq: number;
  endpointId: string;
  eventType: string;
  payload: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
}

export interface DeliveryLogEntry {
  id: string;
  eventId: string;
  eventType: string;
  state: "pending" | "delivered" | "dead";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  latencyMs: number | null;
  createdAt: string;
  nextAttemptAt: string | null;
  completedAt: string | null;
  seq: number;
}

export interface NewDelivery {
  id: string;
  endpointId: string;
  eventType: string;
  orderKey: string;
  payload: Record<string, unknown>;
}

const endpointView = (r: typeof webhookEndpoints.$inferSelect): WebhookEndpointView => ({
  id: r.id,
  url: r.url,
  events: r.events,
  enabled: r.enabled,
  failureStreak: r.failureStreak,
  disabledReason: r.disabledReason,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []));

/** The delivery id of an event for an endpoint: stable across replays of the source record. */
export const deliveryIdOf = (eventId: string, endpointId: string): string => `${eventId}.${endpointId}`;

/**
 * A school's webhook endpoints and the durable queue of their deliveries (PostgreSQL, under row-level
 * security). Every change is idempotent on the delivery id; a claim leases a delivery (its
 * `next_attempt_at` moves past the lease), so a worker that dies mid-attempt leaves it to be retried.
 */
export class WebhookStore {
  constructor(private readonly db: Database) {}

  createEndpoint(tenant: string, input: { url: string; events: string[]; secret: string }): Promise<WebhookEndpointView> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.insert(webhookEndpoints).values({ tenantId: tenant, id: randomUUID(), url: input.url, events: input.events, secret: input.secret }).returning();
      return endpointView(row as typeof webhookEndpoints.$inferSelect);
    });
  }

  listEndpoints(tenant: string): Promise<WebhookEndpointView[]> {
    return withTenant(this.db, tenant, async (tx) => (await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenant)).orderBy(webhookEndpoints.createdAt)).map(endpointView));
  }

  getEndpoint(tenant: string, id: string): Promise<WebhookEndpointView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, id)));
      return row ? endpointView(row) : undefined;
    });
  }

  /** Changes an endpoint; enabling it clears its failure streak. Undefined when there is no such endpoint. */
  updateEndpoint(tenant: string, id: string, change: { url?: string; events?: string[]; enabled?: boolean; secret?: string }): Promise<WebhookEndpointView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const reenable = change.enabled === true ? { failureStreak: 0, failingSince: null, disabledReason: null } : {};
      const [row] = await tx
        .update(webhookEndpoints)
        .set({ ...change, ...reenable, updatedAt: new Date() })
        .where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, id)))
        .returning();
      return row ? endpointView(row) : undefined;
    });
  }

  /** Deletes an endpoint and its deliveries; false when there was none. */
  deleteEndpoint(tenant: string, id: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const gone = await tx.delete(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, id))).returning({ id: webhookEndpoints.id });
      await tx.delete(webhookDeliveries).where(and(eq(webhookDeliveries.tenantId, tenant), eq(webhookDeliveries.endpointId, id)));
      return gone.length > 0;
    });
  }

  /** The tenant's enabled endpoints, with their secrets (for the delivery worker). */
  targets(tenant: string): Promise<WebhookTarget[]> {
    return withTenant(this.db, tenant, async (tx) =>
      tx
        .select({ id: webhookEndpoints.id, url: webhookEndpoints.url, events: webhookEndpoints.events, secret: webhookEndpoints.secret })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.enabled, true))),
    );
  }

  /** Queues deliveries (one statement); a delivery id already queued, or one of an endpoint since deleted, is left out. */
  enqueue(tenant: string, deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return Promise.resolve();
    const rows = JSON.stringify(deliveries.map((d) => [d.id, d.endpointId, d.eventType, d.orderKey, d.payload]));
    return withTenant(this.db, tenant, async (tx) => {
      await tx.execute(sql`
        insert into webhook_deliveries (tenant_id, id, endpoint_id, event_type, order_key, payload)
        select ${tenant}, r->>0, (r->>1)::uuid, r->>2, r->>3, r->4
        from jsonb_array_elements(${rows}::jsonb) with ordinality as x(r, n)
        where exists (select 1 from webhook_endpoints e where e.tenant_id = ${tenant} and e.id = (r->>1)::uuid)
        order by n
        on conflict (tenant_id, id) do nothing`);
    });
  }

  /** Tenants with a pending delivery due now (read across tenants in the scheduler's read-only scope). */
  dueTenants(limit = 1_000): Promise<string[]> {
    return withSystemScope(this.db, "webhook-scheduler", async (tx) => {
      const rows = rowsOf<{ tenant_id: string }>(
        await tx.execute(sql`select distinct tenant_id from webhook_deliveries where state = 'pending' and next_attempt_at <= now() limit ${limit}`),
      );
      return rows.map((r) => r.tenant_id);
    });
  }

  /**
   * Leases up to `limit` due deliveries of the tenant, at most `perEndpoint` per endpoint, none of the
   * `busy` endpoints, and only the oldest pending delivery of each (endpoint, order key): a later event of
   * a key waits for the earlier one. A leased delivery's next attempt moves `leaseMs` ahead and its attempt
   * count up, so two workers never hold it at once and a dead worker's lease runs out into a retry.
   */
  claim(tenant: string, options: { limit: number; perEndpoint: number; busy: string[]; leaseMs: number }): Promise<DeliveryRow[]> {
    const busy = `{${options.busy.join(",")}}`;
    return withTenant(this.db, tenant, async (tx) => {
      const rows = rowsOf<{
        id: string;
        seq: string | number;
        endpoint_id: string;
        event_type: string;
        payload: Record<string, unknown>;
        attempts: number;
        created_at: string | Date;
        url: string;
        secret: string;
      }>(
        await tx.execute(sql`
          with heads as (
            select d.id, d.seq, row_number() over (partition by d.endpoint_id order by d.seq) as rn
            from webhook_deliveries d
            join webhook_endpoints e on e.tenant_id = d.tenant_id and e.id = d.endpoint_id and e.enabled
            where d.tenant_id = ${tenant} and d.state = 'pending' and d.next_attempt_at <= now()
              and d.endpoint_id <> all(${busy}::uuid[])
              and not exists (
                select 1 from webhook_deliveries p
                where p.tenant_id = d.tenant_id and p.endpoint_id = d.endpoint_id and p.order_key = d.order_key and p.state = 'pending' and p.seq < d.seq)
            order by d.seq
            limit ${options.limit * 4}
          ), picked as (
            select id from heads where rn <= ${options.perEndpoint} order by seq limit ${options.limit}
          )
          update webhook_deliveries w
          set next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond', attempts = w.attempts + 1
          from picked, webhook_endpoints e
          where w.tenant_id = ${tenant} and w.id = picked.id and w.state = 'pending' and w.next_attempt_at <= now()
            and e.tenant_id = w.tenant_id and e.id = w.endpoint_id
          returning w.id, w.seq, w.endpoint_id, w.event_type, w.payload, w.attempts, w.created_at, e.url, e.secret`),
      );
      return rows
        .map((r) => ({
          tenant,
          id: r.id,
          seq: Number(r.seq),
          endpointId: r.endpoint_id,
          eventType: r.event_type,
          payload: r.payload,
          attempts: r.attempts,
          createdAt: new Date(r.created_at),
          url: r.url,
          secret: r.secret,
        }))
        .sort((a, b) => a.seq - b.seq);
    });
  }

  /** Records a delivered attempt and clears the endpoint's failure streak. */
  delivered(tenant: string, delivery: { id: string; endpointId: string }, outcome: { status: number; latencyMs: number }): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({ state: "delivered", lastStatus: outcome.status, lastError: null, latencyMs: outcome.latencyMs, completedAt: new Date() })
        .where(and(eq(webhookDeliveries.tenantId, tenant), eq(webhookDeliveries.id, delivery.id)));
      await tx
        .update(webhookEndpoints)
        .set({ failureStreak: 0, failingSince: null })
        .where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, delivery.endpointId), sql`${webhookEndpoints.failureStreak} > 0`));
    });
  }

  /**
   * Records a failed attempt: retried at `retryAt`, or dead when undefined. Returns the endpoint's failure
   * streak and since when it has been failing.
   */
  failed(
    tenant: string,
    delivery: { id: string; endpointId: string },
    outcome: { status: number | null; error: string; latencyMs: number; retryAt: Date | undefined },
  ): Promise<{ streak: number; failingSince: Date }> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({
          lastStatus: outcome.status,
          lastError: outcome.error.slice(0, 500),
          latencyMs: outcome.latencyMs,
          ...(outcome.retryAt ? { nextAttemptAt: outcome.retryAt } : { state: "dead" as const, completedAt: new Date() }),
        })
        .where(and(eq(webhookDeliveries.tenantId, tenant), eq(webhookDeliveries.id, delivery.id)));
      const [row] = await tx
        .update(webhookEndpoints)
        .set({ failureStreak: sql`${webhookEndpoints.failureStreak} + 1`, failingSince: sql`coalesce(${webhookEndpoints.failingSince}, now())` })
        .where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, delivery.endpointId)))
        .returning({ streak: webhookEndpoints.failureStreak, failingSince: webhookEndpoints.failingSince });
      return { streak: row?.streak ?? 0, failingSince: row?.failingSince ?? new Date() };
    });
  }

  /** Disables an enabled endpoint; true when this call disabled it (so its admins are told once). */
  disable(tenant: string, endpointId: string, reason: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .update(webhookEndpoints)
        .set({ enabled: false, disabledReason: reason, updatedAt: new Date() })
        .where(and(eq(webhookEndpoints.tenantId, tenant), eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.enabled, true)))
        .returning({ id: webhookEndpoints.id });
      return rows.length > 0;
    });
  }

  /** Puts a dead delivery back in the queue, due now with a fresh schedule; false when there is no dead delivery of that id. */
  redeliver(tenant: string, endpointId: string, id: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .update(webhookDeliveries)
        .set({ state: "pending", attempts: 0, nextAttemptAt: new Date(), completedAt: null })
        .where(and(eq(webhookDeliveries.tenantId, tenant), eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.id, id), eq(webhookDeliveries.state, "dead")))
        .returning({ id: webhookDeliveries.id });
      return rows.length > 0;
    });
  }

  /** The endpoint's deliveries, newest first, before `beforeSeq` when given. */
  deliveryLog(tenant: string, endpointId: string, options: { limit: number; beforeSeq?: number; state?: "pending" | "delivered" | "dead" }): Promise<DeliveryLogEntry[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const d = webhookDeliveries;
      const rows = await tx
        .select()
        .from(d)
        .where(
          and(
            eq(d.tenantId, tenant),
            eq(d.endpointId, endpointId),
            options.beforeSeq !== undefined ? lt(d.seq, options.beforeSeq) : undefined,
            options.state ? eq(d.state, options.state) : undefined,
          ),
        )
        .orderBy(desc(d.seq))
        .limit(options.limit);
      return rows.map((r) => ({
        id: r.id,
        eventId: r.id.slice(0, r.id.lastIndexOf(".")),
        eventType: r.eventType,
        state: r.state,
        attempts: r.attempts,
        lastStatus: r.lastStatus,
        lastError: r.lastError,
        latencyMs: r.latencyMs,
        createdAt: r.createdAt.toISOString(),
        nextAttemptAt: r.state === "pending" ? r.nextAttemptAt.toISOString() : null,
        completedAt: r.completedAt?.toISOString() ?? null,
        seq: r.seq,
      }));
    });
  }

  /**
   * Presence bookkeeping of the webhook consumer: records session starts and ends (idempotent on the
   * session id) and returns, in order, the users who came online (their first open session) or went
   * offline (their last one ended).
   */
  presenceTransitions(tenant: string, changes: Array<{ user: string; sessionId: string; kind: "started" | "ended" }>): Promise<Array<"online" | "offline" | undefined>> {
    return withTenant(this.db, tenant, async (tx) => {
      const out: Array<"online" | "offline" | undefined> = [];
      const s = webhookSessions;
      for (const change of changes) {
        const mine = and(eq(s.tenantId, tenant), eq(s.userId, change.user));
        if (change.kind === "started") {
          const added = await tx.insert(s).values({ tenantId: tenant, userId: change.user, sessionId: change.sessionId }).onConflictDoNothing().returning({ id: s.sessionId });
          const open = added.length > 0 ? await tx.select({ id: s.sessionId }).from(s).where(mine).limit(2) : [];
          out.push(added.length > 0 && open.length === 1 ? "online" : undefined);
        } else {
          const removed = await tx.delete(s).where(and(mine, eq(s.sessionId, change.sessionId))).returning({ id: s.sessionId });
          const open = removed.length > 0 ? await tx.select({ id: s.sessionId }).from(s).where(mine).limit(1) : [{ id: "" }];
          out.push(open.length === 0 ? "offline" : undefined);
        }
      }
      return out;
    });
  }

  /** The school's administrators known to the platform (users seen with an admin role). */
  admins(tenant: string): Promise<string[]> {
    return withTenant(this.db, tenant, async (tx) =>
      (await tx.select({ user: users.userId }).from(users).where(and(eq(users.tenantId, tenant), inArray(users.role, ["school_admin", "admin"])))).map((r) => r.user),
    );
  }
}

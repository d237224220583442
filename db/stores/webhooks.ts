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
   * Leases runs of deliveries: for up to `limit` (endpoint, order key) pairs whose oldest pending delivery
   * is due — at most `perEndpoint` pairs per endpoint, none of the `busy` endpoints — that oldest delivery
   * (the head) and up to `runLength - 1` pending deliveries after it, in order. Only a head is ever
   * attempted first: a later event of a key waits for the earlier one. Leased rows move their next attempt
   * `leaseMs` ahead (the head only if it is still due, so two workers never both win it); a worker that
   * dies leaves its heads to be retried when the lease runs out. Rows come back in runs, head first, each
   * flagged `head`; a run whose head was not won must not be sent.
   */
  // The CTEs are MATERIALIZED and each run is updated as a range of its key's index (endpoint, key, seq): joined
  // by id to CTEs whose size the planner cannot estimate, the UPDATE was planned as a table scan per leased row.
  claim(tenant: string, options: { limit: number; perEndpoint: number; busy: string[]; leaseMs: number; runLength: number }): Promise<Array<DeliveryRow & { orderKey: string; head: boolean }>> {
    const busy = `{${options.busy.join(",")}}`;
    return withTenant(this.db, tenant, async (tx) => {
      const rows = rowsOf<{
        id: string;
        seq: string | number;
        endpoint_id: string;
        order_key: string;
        event_type: string;
        payload: Record<string, unknown>;
        attempts: number;
        created_at: string | Date;
        url: string;
        secret: string;
        head: boolean;
      }>(
        await tx.execute(sql`
          with heads as materialized (
            select distinct on (d.endpoint_id, d.order_key) d.id, d.seq, d.endpoint_id, d.order_key, d.next_attempt_at
            from webhook_deliveries d
            where d.tenant_id = ${tenant} and d.state = 'pending'
            order by d.endpoint_id, d.order_key, d.seq
          ), due as materialized (
            select h.id, h.seq, h.endpoint_id, h.order_key, row_number() over (partition by h.endpoint_id order by h.seq) as rn
            from heads h
            join webhook_endpoints e on e.tenant_id = ${tenant} and e.id = h.endpoint_id and e.enabled
            where h.next_attempt_at <= now() and h.endpoint_id <> all(${busy}::uuid[])
          ), picked as materialized (
            select id, seq, endpoint_id, order_key from due where rn <= ${options.perEndpoint} order by seq limit ${options.limit}
          ), runs as materialized (
            select p.id as head_id, p.endpoint_id, p.order_key, p.seq as first_seq, (
              select max(r.seq) from (
                select d.seq from webhook_deliveries d
                where d.tenant_id = ${tenant} and d.endpoint_id = p.endpoint_id and d.order_key = p.order_key and d.state = 'pending' and d.seq >= p.seq
                order by d.seq limit ${options.runLength}
              ) r
            ) as last_seq
            from picked p
          )
          update webhook_deliveries w
          set next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond', attempts = w.attempts + 1
          from runs r, webhook_endpoints e
          where w.tenant_id = ${tenant} and w.endpoint_id = r.endpoint_id and w.order_key = r.order_key and w.state = 'pending'
            and w.seq >= r.first_seq and w.seq <= r.last_seq
            and (w.next_attempt_at <= now() or w.id <> r.head_id)
            and e.tenant_id = w.tenant_id and e.id = w.endpoint_id
          returning w.id, w.seq, w.endpoint_id, w.order_key, w.event_type, w.payload, w.attempts, w.created_at, e.url, e.secret, w.id = r.head_id as head`),
      );
      return rows
        .map((r) => ({
          tenant,
          id: r.id,
          seq: Number(r.seq),
          endpointId: r.endpoint_id,
          orderKey: r.order_key,
          eventType: r.event_type,
          payload: r.payload,
          attempts: r.attempts,
          createdAt: new Date(r.created_at),
          url: r.url,
          secret: r.secret,
          head: r.head,
        }))
        .sort((a, b) => a.seq - b.seq);
    });
  }

  /** Gives leased deliveries back unattempted: due again now, the claim's attempt count undone. */
  release(tenant: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .update(webhookDeliveries)
        .set({ nextAttemptAt: new Date(), attempts: sql`greatest(${webhookDeliveries.attempts} - 1, 0)` })
        .where(and(eq(webhookDeliveries.tenantId, tenant), inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.state, "pending")));
    });
  }

  /** Records delivered attempts (one statement each for deliveries and endpoints) and clears their endpoints' failure streaks. */
  delivered(tenant: string, items: Array<{ id: string; endpointId: string; status: number; latencyMs: number }>): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const rows = JSON.stringify(items.map((i) => [i.id, i.status, i.latencyMs]));
    const endpoints = `{${[...new Set(items.map((i) => i.endpointId))].join(",")}}`;
    return withTenant(this.db, tenant, async (tx) => {
      await tx.execute(sql`
        with done as (
          update webhook_deliveries w
          set state = 'delivered', last_status = (r->>1)::int, last_error = null, latency_ms = (r->>2)::int, completed_at = now()
          from jsonb_array_elements(${rows}::jsonb) as r
          where w.tenant_id = ${tenant} and w.id = r->>0
          returning w.id
        )
        update webhook_endpoints set failure_streak = 0, failing_since = null
        where tenant_id = ${tenant} and id = any(${endpoints}::uuid[]) and failure_streak > 0`);
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

import { createRoute, z } from "@hono/zod-openapi";
import { tenantScopeOf } from "../../core/roles";
import { tenantIdSchema } from "../../core/tenancy";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit } from "../openapi";

const TENANT_ADMINS = ["school_admin", "super_admin"] as const;
const tenantParam = z.object({ tenant: tenantIdSchema });

const deliverySchema = z
  .object({
    id: z.string(),
    notificationId: z.string(),
    user: z.string(),
    channel: z.enum(["email", "push"]),
    target: z.string(),
    status: z.enum(["pending", "delivered", "dead"]),
    attempts: z.number().int(),
    nextAttemptAt: z.string(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi("NotificationDelivery");

/** Outbound notification deliveries of a school: list them by status, requeue dead ones (docs/NOTIFICATIONS.md). */
export function registerNotificationDeliveryRoutes(app: V1App, stores: Stores): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant}/notification-deliveries",
      tags: ["notifications"],
      summary: "A school's outbound email/push deliveries of one status, newest first",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: tenantParam, query: z.object({ status: z.enum(["pending", "delivered", "dead"]).default("dead"), limit: pageLimit(500, 100) }) },
      responses: { 200: json(z.object({ deliveries: z.array(deliverySchema) }), "Deliveries"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      const q = c.req.valid("query");
      const rows = await stores.notificationDeliveries.list(tenant, q.status, q.limit);
      return c.json(
        {
          deliveries: rows.map((r) => ({
            id: r.id,
            notificationId: r.notificationId,
            user: r.user,
            channel: r.channel,
            target: r.target,
            status: r.status,
            attempts: r.attempts,
            nextAttemptAt: r.nextAttemptAt.toISOString(),
            lastError: r.lastError,
            createdAt: r.createdAt.toISOString(),
            finishedAt: r.finishedAt?.toISOString() ?? null,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant}/notification-deliveries/retry",
      tags: ["notifications"],
      summary: "Put dead deliveries of the school back on the schedule (attempts from zero)",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS, body: true }),
      request: {
        params: tenantParam,
        body: { required: true, content: { "application/json": { schema: z.object({ ids: z.array(z.uuid()).min(1).max(500) }).strict() } } },
      },
      responses: { 200: json(z.object({ requeued: z.number().int() }), "How many were dead and are pending again"), ...errors(400, 401, 403, 404, 413, 429) },
    }),
    async (c) => {
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      return c.json({ requeued: await stores.notificationDeliveries.requeue(tenant, c.req.valid("json").ids, new Date()) }, 200);
    },
  );
}

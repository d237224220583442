import { createRoute, z } from "@hono/zod-openapi";
import { tenantIdSchema } from "../../core/tenancy";
import { tenantScopeOf } from "../../core/roles";
import type { TenantLimits } from "../../db/stores/tenant-limits";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";

const quotasSchema = z
  .object({
    maxConnections: z.number().int(),
    maxMessagesPerSecond: z.number().int(),
    maxBroadcastRecipients: z.number().int(),
    maxPayloadBytes: z.number().int(),
    apiRequestsPerMinute: z.number().int(),
    overflowGraceSeconds: z.number().int(),
  })
  .openapi("Quotas");
const override = z.number().int().min(0).max(100_000_000).nullable().optional();
const overridesSchema = z
  .object({ maxConnections: override, maxMessagesPerSecond: override, maxBroadcastRecipients: override, maxPayloadBytes: override, apiRequestsPerMinute: override, overflowGraceSeconds: z.number().int().min(0).max(86_400).nullable().optional() })
  .strict()
  .openapi("QuotaOverrides");
const tenantParam = z.object({ tenant: tenantIdSchema });
/** Who may read a tenant's usage and quotas (a school_admin only its own: tenantScopeOf). */
const TENANT_ADMINS = ["school_admin", "super_admin"] as const;

/** Usage and quotas: a school_admin sees its own school; a super_admin sees and overrides any. */
export function registerTenantRoutes(app: V1App, stores: Stores, limits: TenantLimits, liveConnections: (tenant: string) => Promise<number>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant}/usage",
      tags: ["tenants"],
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: tenantParam },
      responses: {
        200: json(
          z.object({
            tenant: z.string(),
            quotas: quotasSchema,
            now: z.object({ connections: z.number().int() }),
            last24h: z.object({ messages: z.number().int(), notifications: z.number().int() }),
            totals: z.object({ rooms: z.number().int(), conversations: z.number().int() }),
          }),
          "Usage figures",
        ),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      const usage = await stores.tenants.usage(tenant, new Date(Date.now() - 86_400_000));
      return c.json(
        {
          tenant,
          quotas: await stores.tenants.quotas(tenant),
          now: { connections: await liveConnections(tenant) },
          last24h: { messages: usage.messagesSince, notifications: usage.notificationsSince },
          totals: { rooms: usage.rooms, conversations: usage.conversations },
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants/{tenant}/quotas",
      tags: ["tenants"],
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: tenantParam },
      responses: { 200: json(z.object({ quotas: quotasSchema, overrides: overridesSchema }), "Effective quotas and the stored overrides"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      return c.json({ quotas: await stores.tenants.quotas(tenant), overrides: await stores.tenants.overrides(tenant) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/tenants/{tenant}/quotas",
      tags: ["tenants"],
      summary: "Override quotas (super_admin); null restores a default",
      security: bearerSecurity,
      middleware: guard({ roles: ["super_admin"], body: true }),
      request: { params: tenantParam, body: { required: true, content: { "application/json": { schema: overridesSchema } } } },
      responses: { 200: json(z.object({ quotas: quotasSchema, overrides: overridesSchema }), "The new effective quotas"), ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      await stores.tenants.setOverrides(tenant, c.req.valid("json"));
      limits.forget(tenant);
      return c.json({ quotas: await stores.tenants.quotas(tenant), overrides: await stores.tenants.overrides(tenant) }, 200);
    },
  );
}

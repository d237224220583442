import { createRoute, z } from "@hono/zod-openapi";
import type { Role } from "../../core/auth";
import { AppError, ErrorCode } from "../../core/errors";
import { checkWebhookUrl } from "../../core/webhooks/address-guard";
import { WEBHOOK_EVENT_TYPES } from "../../core/webhooks/events";
import { newWebhookSecret } from "../../core/webhooks/signature";
import type { WebhookStore } from "../../db/stores/webhooks";
import type { V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit, queryInteger } from "../openapi";

/** Who manages a school's webhooks: its school admins (a super admin, for the tenant of their token). */
export const WEBHOOK_ADMINS: readonly Role[] = ["school_admin", "super_admin"];

const endpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    failureStreak: z.number().int(),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");
const withSecret = endpointSchema.extend({ secret: z.string() }).openapi("WebhookEndpointWithSecret");
const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    state: z.enum(["pending", "delivered", "dead"]),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    latencyMs: z.number().int().nullable(),
    createdAt: z.string(),
    nextAttemptAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    seq: z.number().int(),
  })
  .openapi("WebhookDelivery");
const eventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const urlField = z.string().min(1).max(2_000);
const idParam = z.object({ id: z.string().uuid() });

export function registerWebhookRoutes(app: V1App, deps: { webhooks: WebhookStore; allowPrivate: boolean }): void {
  const { webhooks, allowPrivate } = deps;
  const mustExist = async (tenant: string, id: string) => {
    const found = await webhooks.getEndpoint(tenant, id);
    if (!found) throw new AppError(ErrorCode.NotFound, "no such webhook endpoint");
    return found;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks",
      tags: ["webhooks"],
      summary: "Register a webhook endpoint of the caller's school (school admins)",
      description: "The answer carries the endpoint's signing secret, shown only here and on rotation. Only public addresses are accepted unless the operator allows private ones (WEBHOOKS_ALLOW_PRIVATE). docs/WEBHOOKS.md.",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS, body: true }),
      request: { body: { required: true, content: { "application/json": { schema: z.object({ url: urlField, events: eventTypes }).strict() } } } },
      responses: { 201: json(withSecret, "Registered"), ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const url = checkWebhookUrl(body.url, allowPrivate).toString();
      const secret = newWebhookSecret();
      const endpoint = await webhooks.createEndpoint(p.tenant, { url, events: [...new Set(body.events)], secret });
      return c.json({ ...endpoint, secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks",
      tags: ["webhooks"],
      summary: "The school's webhook endpoints (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      responses: { 200: json(z.object({ endpoints: z.array(endpointSchema) }), "Every endpoint"), ...errors(401, 403, 429) },
    }),
    async (c) => c.json({ endpoints: await webhooks.listEndpoints(c.get("principal").tenant) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/{id}",
      tags: ["webhooks"],
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: { params: idParam },
      responses: { 200: json(endpointSchema, "The endpoint"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => c.json(await mustExist(c.get("principal").tenant, c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/webhooks/{id}",
      tags: ["webhooks"],
      summary: "Change an endpoint: URL, events, enable / disable, or a new secret (school admins)",
      description: "Enabling clears the failure streak; the endpoint's pending deliveries resume in order. `rotateSecret: true` answers with the new secret.",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS, body: true }),
      request: {
        params: idParam,
        body: {
          required: true,
          content: { "application/json": { schema: z.object({ url: urlField.optional(), events: eventTypes.optional(), enabled: z.boolean().optional(), rotateSecret: z.literal(true).optional() }).strict() } },
        },
      },
      responses: { 200: json(endpointSchema.extend({ secret: z.string().optional() }), "Changed"), ...errors(400, 401, 403, 404, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const secret = body.rotateSecret ? newWebhookSecret() : undefined;
      const changed = await webhooks.updateEndpoint(p.tenant, id, {
        url: body.url !== undefined ? checkWebhookUrl(body.url, allowPrivate).toString() : undefined,
        events: body.events ? [...new Set(body.events)] : undefined,
        enabled: body.enabled,
        secret,
      });
      if (!changed) throw new AppError(ErrorCode.NotFound, "no such webhook endpoint");
      return c.json(secret ? { ...changed, secret } : changed, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/webhooks/{id}",
      tags: ["webhooks"],
      summary: "Remove an endpoint and its delivery log (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: { params: idParam },
      responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      if (!(await webhooks.deleteEndpoint(c.get("principal").tenant, c.req.valid("param").id))) throw new AppError(ErrorCode.NotFound, "no such webhook endpoint");
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/webhooks/{id}/deliveries",
      tags: ["webhooks"],
      summary: "The endpoint's delivery log, newest first: state, attempts, last status and latency (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: {
        params: idParam,
        query: z.object({ state: z.enum(["pending", "delivered", "dead"]).optional(), before: queryInteger(1).optional(), limit: pageLimit(500, 100) }),
      },
      responses: { 200: json(z.object({ deliveries: z.array(deliverySchema), nextBefore: z.number().int().nullable() }), "A page"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const q = c.req.valid("query");
      await mustExist(p.tenant, id);
      const deliveries = await webhooks.deliveryLog(p.tenant, id, { limit: q.limit, beforeSeq: q.before, state: q.state });
      return c.json({ deliveries, nextBefore: deliveries.length === q.limit ? (deliveries[deliveries.length - 1]?.seq ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      tags: ["webhooks"],
      summary: "Queue a dead delivery again, with a fresh retry schedule (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: { params: z.object({ id: z.string().uuid(), deliveryId: z.string().min(1).max(200) }) },
      responses: { 202: json(z.object({ id: z.string() }), "Queued"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id, deliveryId } = c.req.valid("param");
      if (!(await webhooks.redeliver(p.tenant, id, deliveryId))) throw new AppError(ErrorCode.NotFound, "no dead delivery of that id");
      return c.json({ id: deliveryId }, 202);
    },
  );
}

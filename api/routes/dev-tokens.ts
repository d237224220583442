import { createRoute, z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { roleSchema, type TokenService } from "../../core/auth";
import { tenantIdSchema, userIdSchema } from "../../core/tenancy";
import { errors, guard, json } from "../openapi";

const devTokenSchema = z
  .object({ tenant: tenantIdSchema, user: userIdSchema, role: roleSchema, ttlSeconds: z.number().int().min(1).max(86_400).optional() })
  .strict()
  .openapi("DevTokenRequest");

/** POST /v1/dev/tokens {tenant, user, role} → {token}. Mounted only in the embedded default or with AUTH_DEV_TOKENS=1. */
export function registerDevTokenRoutes(app: OpenAPIHono, tokens: TokenService): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/dev/tokens",
      tags: ["dev"],
      summary: "Mint a token (development only)",
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: devTokenSchema } } } },
      responses: { 201: json(z.object({ token: z.string() }), "A signed JWT"), ...errors(400, 413) },
    }),
    async (c) => c.json({ token: await tokens.sign(c.req.valid("json")) }, 201),
  );
}

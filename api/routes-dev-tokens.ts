import { Hono } from "hono";
import { z } from "zod";
import { roleSchema, type TokenService } from "../core/auth";
import { tenantIdSchema, userIdSchema } from "../core/tenancy";
import { jsonBody, parseOr400 } from "./validate";

const devTokenSchema = z
  .object({ tenant: tenantIdSchema, user: userIdSchema, role: roleSchema, ttlSeconds: z.number().int().min(1).max(86_400).optional() })
  .strict();

/** POST /v1/dev/tokens {tenant, user, role} → {token}. Mounted only in the embedded default or with AUTH_DEV_TOKENS=1. */
export function devTokenRoutes(tokens: TokenService): Hono {
  const app = new Hono();
  app.post("/v1/dev/tokens", async (c) => {
    const input = parseOr400(devTokenSchema, await jsonBody(c.req));
    return c.json({ token: await tokens.sign(input) }, 201);
  });
  return app;
}

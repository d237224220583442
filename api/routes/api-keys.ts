import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_SCOPES } from "../../core/api-keys";
import { AppError, ErrorCode } from "../../core/errors";
import { storableText } from "../../core/storable";
import type { ApiKeyStore } from "../../db/stores/api-keys";
import type { V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";
import { WEBHOOK_ADMINS } from "./webhooks";

const keySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdBy: z.string(),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");
const withKey = keySchema.extend({ key: z.string().openapi({ description: "ilk_<id>_<secret>: shown only in this answer" }) }).openapi("ApiKeyWithSecret");
const idParam = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "an API key id: 16 hex digits") });

/** Server API keys of the caller's school, managed by its school admins (docs/SERVER-API.md). */
export function registerApiKeyRoutes(app: V1App, keys: ApiKeyStore): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys",
      tags: ["server api"],
      summary: "Create a server API key with scopes (school admins); the key is shown only in this answer",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS, body: true }),
      request: {
        body: { required: true, content: { "application/json": { schema: z.object({ name: storableText().min(1).max(100), scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length) }).strict() } } },
      },
      responses: { 201: json(withKey, "Created"), ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      return c.json(await keys.create(p.tenant, { name: body.name, scopes: [...new Set(body.scopes)], createdBy: p.user }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/api-keys",
      tags: ["server api"],
      summary: "The school's API keys, revoked ones included, with their last use (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      responses: { 200: json(z.object({ keys: z.array(keySchema) }), "Every key (never a secret)"), ...errors(401, 403, 429) },
    }),
    async (c) => c.json({ keys: await keys.list(c.get("principal").tenant) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/api-keys/{id}/rotate",
      tags: ["server api"],
      summary: "Give a key a new secret; the old one fails at once (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: { params: idParam },
      responses: { 200: json(withKey, "Rotated"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const rotated = await keys.rotate(c.get("principal").tenant, c.req.valid("param").id);
      if (!rotated) throw new AppError(ErrorCode.NotFound, "no live API key of that id");
      return c.json(rotated, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/api-keys/{id}",
      tags: ["server api"],
      summary: "Revoke a key: it fails at once on every node (school admins)",
      security: bearerSecurity,
      middleware: guard({ roles: WEBHOOK_ADMINS }),
      request: { params: idParam },
      responses: { 204: { description: "Revoked" }, ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      if (!(await keys.revoke(c.get("principal").tenant, c.req.valid("param").id))) throw new AppError(ErrorCode.NotFound, "no live API key of that id");
      return c.body(null, 204);
    },
  );
}

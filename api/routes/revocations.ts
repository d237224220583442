import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import type { RevocationStore } from "../../core/revocation/revocation-store";
import { tenantScopeOf } from "../../core/roles";
import type { SocketFanout } from "../../core/socket-fanout";
import { storableDateTime } from "../../core/storable";
import { tenantIdSchema, userIdSchema } from "../../core/tenancy";
import { validationError } from "../../core/validation";
import type { V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";

const revokeSchema = z.object({ before: storableDateTime().optional() }).strict().openapi("Revoke");

/**
 * `POST /v1/tenants/{tenant}/users/{user}/revoke`: the user's tokens issued before `before` (default now)
 * are refused from here on (2006) on every node, REST and sockets, and every socket of the user, on every
 * node and namespace, is told `app:disconnect { code: 2006 }` and disconnected. A school_admin for its
 * own school (another school's is 404), a super_admin for any.
 */
export function registerRevocationRoutes(app: V1App, deps: { revocations: RevocationStore; fanout: SocketFanout }): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{tenant}/users/{user}/revoke",
      tags: ["tenants"],
      summary: "Revoke a user's tokens issued before a moment and disconnect the user everywhere",
      security: bearerSecurity,
      middleware: guard({ roles: ["school_admin", "super_admin"] }),
      request: {
        params: z.object({ tenant: tenantIdSchema, user: userIdSchema }),
        body: { required: false, content: { "application/json": { schema: revokeSchema } } },
      },
      responses: {
        200: json(z.object({ tenant: z.string(), user: z.string(), before: z.string() }), "The revocation moment now in force (a later earlier one is kept)"),
        ...errors(400, 401, 403, 404, 413, 429),
      },
    }),
    async (c) => {
      const { tenant: asked, user } = c.req.valid("param");
      const tenant = tenantScopeOf(c.get("principal"), asked);
      const body = optionalJson(await c.req.text());
      const before = body.before === undefined ? Date.now() : Date.parse(body.before);
      const moment = await deps.revocations.revoke(tenant, user, before);
      deps.fanout.disconnectUser(tenant, user, { code: ErrorCode.TokenRevoked, message: "token revoked: sign in again for a new token" });
      return c.json({ tenant, user, before: new Date(moment).toISOString() }, 200);
    },
  );
}

/** The body as the schema reads it; no body (or an empty one) is `{}`. */
function optionalJson(text: string): z.infer<typeof revokeSchema> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(ErrorCode.InvalidPayload, "body is not JSON");
  }
  const parsed = revokeSchema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

import { createMiddleware } from "hono/factory";
import { parseApiKey, type ApiKeyScope } from "../core/api-keys";
import { AppError, ErrorCode } from "../core/errors";
import type { ApiKeyStore } from "../db/stores/api-keys";
import type { AuthEnv } from "./auth";

/**
 * Server API authentication: `Authorization: Bearer ilk_<id>_<secret>` or `X-Api-Key: ilk_<id>_<secret>`.
 * The key is read from the database on every call, so a revoked or rotated key fails at once on every
 * node (2001). The caller acts for the key's school: `principal` is `{ tenant, user: "apikey.<id>" }` and
 * `apiKey` holds the scopes the routes check (`requireScope`).
 */
export function apiKeyAuth(keys: Pick<ApiKeyStore, "authenticate">) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const presented = c.req.header("x-api-key") ?? bearer;
    if (!presented) throw new AppError(ErrorCode.Unauthorized, "an API key is required: Authorization: Bearer ilk_… or X-Api-Key");
    const parsed = parseApiKey(presented);
    const found = parsed ? await keys.authenticate(parsed.id, parsed.secret) : undefined;
    if (!found) throw new AppError(ErrorCode.TokenInvalid, "invalid, rotated or revoked API key");
    c.set("principal", { tenant: found.tenant, user: `apikey.${found.id}`, role: "school_admin", exp: 0 });
    c.set("apiKey", { id: found.id, scopes: found.scopes });
    await next();
  });
}

/** Throws 2003 unless the call's API key has `scope`. */
export function requireScope(apiKey: { scopes: readonly string[] } | undefined, scope: ApiKeyScope): void {
  if (!apiKey?.scopes.includes(scope)) throw new AppError(ErrorCode.Forbidden, `this API key lacks the "${scope}" scope`);
}

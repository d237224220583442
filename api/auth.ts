import { createMiddleware } from "hono/factory";
import type { Principal, TokenService } from "../core/auth";
import { AppError, ErrorCode } from "../core/errors";
import { refuseRevoked } from "../core/revocation/revocation-check";
import type { RevocationStore } from "../core/revocation/revocation-store";

/** The server API key a /v1/server call was made with (api/api-key-auth.ts). */
export interface ApiKeyIdentity {
  id: string;
  scopes: readonly string[];
}

export interface AuthEnv {
  Variables: { principal: Principal; apiKey?: ApiKeyIdentity };
}

/**
 * `Authorization: Bearer <jwt>` → `c.get("principal")`; refusals are 2000 / 2001 / 2002, and 2006 for a
 * token issued before its user's revocation moment (`revocations` is a per-node cache of ≤ 1 s in the
 * process: core/revocation/revocation-cache.ts).
 */
export function bearerAuth(tokens: TokenService, revocations: Pick<RevocationStore, "revokedBefore">) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError(ErrorCode.Unauthorized, "Authorization: Bearer <token> required");
    const principal = await tokens.verify(match[1]);
    await refuseRevoked(revocations, principal);
    c.set("principal", principal);
    await next();
  });
}

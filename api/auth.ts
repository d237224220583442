import { createMiddleware } from "hono/factory";
import type { Principal, TokenService } from "../core/auth";
import { AppError, ErrorCode } from "../core/errors";

export interface AuthEnv {
  Variables: { principal: Principal };
}

/** `Authorization: Bearer <jwt>` → `c.get("principal")`; refusals are 2000 / 2001 / 2002. */
export function bearerAuth(tokens: TokenService) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError(ErrorCode.Unauthorized, "Authorization: Bearer <token> required");
    c.set("principal", await tokens.verify(match[1]));
    await next();
  });
}

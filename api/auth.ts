import { createMiddleware } from "hono/factory";
import type { Principal, Role, TokenService } from "../core/auth";
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

export const STAFF: readonly Role[] = ["teacher", "admin", "school_admin", "super_admin"];
export const ADMINS: readonly Role[] = ["admin", "school_admin", "super_admin"];

export const isStaff = (p: Principal): boolean => STAFF.includes(p.role);

/** Throws 2003 unless the caller has one of the roles. */
export function requireRole(principal: Principal, allowed: readonly Role[]): void {
  if (!allowed.includes(principal.role)) throw new AppError(ErrorCode.Forbidden, `role ${principal.role} may not do this (needs ${allowed.join(" or ")})`);
}

/** The tenant a tenant-admin route may act on: super_admin any, school_admin only its own (else 404, not 403: no probing). */
export function tenantScopeOf(principal: Principal, tenant: string): string {
  if (principal.role === "super_admin") return tenant;
  requireRole(principal, ["school_admin"]);
  if (tenant !== principal.tenant) throw new AppError(ErrorCode.NotFound, `no tenant "${tenant}"`);
  return tenant;
}

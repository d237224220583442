import type { Principal, Role } from "./auth";
import { AppError, ErrorCode } from "./errors";

/** Roles that teach or administer: they may moderate rooms and post to feeds. */
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

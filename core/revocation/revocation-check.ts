import type { Principal } from "../auth";
import { AppError, ErrorCode } from "../errors";
import type { RevocationStore } from "./revocation-store";

/**
 * Whether a token issued at `iat` (seconds, as in the JWT) falls before the revocation moment `before`
 * (ms). `iat` has second precision, so a token issued in the same second as the moment counts as revoked
 * (fail closed), and so does a token without `iat` once any moment is recorded for its user.
 */
export function isRevoked(iat: number | undefined, before: number | undefined): boolean {
  if (before === undefined) return false;
  return iat === undefined || iat * 1000 < before;
}

/**
 * Throws 2006 (TokenRevoked) when the principal's token was issued before its user's revocation moment.
 * A store that cannot answer refuses the token with 5001 (temporary): a revocation is never skipped.
 */
export async function refuseRevoked(revocations: Pick<RevocationStore, "revokedBefore">, principal: Principal): Promise<void> {
  let before: number | undefined;
  try {
    before = await revocations.revokedBefore(principal.tenant, principal.user);
  } catch (err) {
    throw new AppError(ErrorCode.Unavailable, "revocations unavailable: retry", { cause: err });
  }
  if (isRevoked(principal.iat, before)) throw new AppError(ErrorCode.TokenRevoked, "token revoked: sign in again for a new token");
}

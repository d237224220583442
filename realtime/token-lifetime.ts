import type { TokenService } from "../core/auth";
import { AppError, ErrorCode } from "../core/errors";
import { refuseRevoked } from "../core/revocation/revocation-check";
import type { RevocationStore } from "../core/revocation/revocation-store";
import type { RealtimeSocket } from "./types";

/** Longest delay setTimeout takes (~24.8 days); later expiries re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * A token's life on a live connection, the same on every namespace (`/`, `/class`): at `exp` the socket
 * is told `app:disconnect { code: 2002 }` and disconnected, unless `auth:refresh` moved the expiry.
 */
export function armExpiry(socket: RealtimeSocket): void {
  const timers = socket as unknown as { expiryTimer?: NodeJS.Timeout };
  clearTimeout(timers.expiryTimer);
  const ms = socket.data.principal.exp * 1000 - Date.now();
  timers.expiryTimer = setTimeout(
    () => {
      if (socket.data.principal.exp * 1000 > Date.now()) return armExpiry(socket);
      socket.emit("app:disconnect", { code: ErrorCode.TokenExpired, message: "token expired: reconnect with a new one" });
      socket.disconnect(true);
    },
    Math.max(0, Math.min(ms, MAX_TIMER)),
  );
  socket.once("disconnect", () => clearTimeout(timers.expiryTimer));
}

/**
 * `auth:refresh { token }`: verifies the new token (2001 / 2002 / 2006 as at the handshake), which must be
 * for the same user and tenant (else 2003), then carries on with its role and expiry.
 */
export async function refreshToken(socket: RealtimeSocket, auth: { tokens: TokenService; revocations: RevocationStore }, token: string): Promise<{ exp: number }> {
  const next = await auth.tokens.verify(token);
  await refuseRevoked(auth.revocations, next);
  const current = socket.data.principal;
  if (next.user !== current.user || next.tenant !== current.tenant) throw new AppError(ErrorCode.Forbidden, "a refreshed token must be for the same user and tenant");
  socket.data.principal = next;
  armExpiry(socket);
  return { exp: next.exp };
}

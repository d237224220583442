import type { TokenService } from "../core/auth";
import { AppError, ErrorCode } from "../core/errors";
import { refuseRevoked } from "../core/revocation/revocation-check";
import type { RevocationStore } from "../core/revocation/revocation-store";
import { ExpiryWheel } from "./expiry-wheel";
import type { RealtimeSocket } from "./types";

/** Every socket's token expiry on one timer (realtime/expiry-wheel.ts): no timer or closure per socket. */
const expiries = new ExpiryWheel<RealtimeSocket>((socket) => {
  if (!socket.connected) return;
  if (socket.data.principal.exp * 1000 > Date.now()) return expiries.arm(socket, socket.data.principal.exp * 1000); // refreshed meanwhile
  socket.emit("app:disconnect", { code: ErrorCode.TokenExpired, message: "token expired: reconnect with a new one" });
  socket.disconnect(true);
});

/** One listener function shared by every socket (called with the socket as `this`). */
function disarmOnDisconnect(this: RealtimeSocket): void {
  expiries.disarm(this);
}

/** Drops a disconnected socket from the wheel (for a caller that armed it with `armExpiry(socket, false)`). */
export function disarmExpiry(socket: RealtimeSocket): void {
  expiries.disarm(socket);
}

/**
 * A token's life on a live connection, the same on every namespace (`/`, `/class`): at `exp` (within the
 * second after it) the socket is told `app:disconnect { code: 2002 }` and disconnected, unless
 * `auth:refresh` moved the expiry. Called once per socket, at its connection; a disconnected socket is
 * dropped from the wheel (by a listener of its own, or, with `listen` false, by the caller's own
 * disconnect listener calling disarmExpiry: one listener per socket instead of two).
 */
export function armExpiry(socket: RealtimeSocket, listen = true): void {
  expiries.arm(socket, socket.data.principal.exp * 1000);
  if (listen) socket.on("disconnect", disarmOnDisconnect);
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
  if (socket.connected) expiries.arm(socket, next.exp * 1000);
  return { exp: next.exp };
}

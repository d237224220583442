import type { ExtendedError } from "socket.io";
import type { TokenService } from "../core/auth";
import { toAppError } from "../core/errors";
import type { RealtimeSocket } from "./types";

/**
 * Verifies `auth.token` of the handshake; a refusal reaches the client as `connect_error` with
 * `err.data = { code, message }` (2000 missing, 2001 invalid, 2002 expired). The token is dropped from
 * the handshake once verified: the principal is what the node keeps (and a bearer token held for hours in
 * memory is nothing to keep).
 */
export function authMiddleware(tokens: TokenService) {
  return (socket: RealtimeSocket, next: (err?: ExtendedError) => void): void => {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === "object" && auth !== null ? (auth as { token?: unknown }).token : undefined;
    tokens.verify(token).then(
      (principal) => {
        socket.data.principal = principal;
        delete (auth as { token?: unknown }).token;
        next();
      },
      (err: unknown) => {
        const appError = toAppError(err);
        const refusal: ExtendedError = Object.assign(new Error(appError.message), { data: appError.toBody() });
        next(refusal);
      },
    );
  };
}

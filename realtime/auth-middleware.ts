import type { ExtendedError } from "socket.io";
import type { TokenService } from "../core/auth";
import { toAppError } from "../core/errors";
import { refuseRevoked } from "../core/revocation/revocation-check";
import type { RevocationStore } from "../core/revocation/revocation-store";
import type { RealtimeSocket } from "./types";
import { admissionStarted } from "./connect-timing";
import { timedStage, type ConnectStages } from "../core/metrics/connect-stages";

/**
 * Verifies `auth.token` of the handshake; a refusal reaches the client as `connect_error` with
 * `err.data = { code, message }` (2000 missing, 2001 invalid, 2002 expired, 2006 revoked: issued before
 * its user's revocation moment, read from the store on every handshake, uncached). The token is dropped from
 * the handshake once verified: the principal is what the node keeps (and a bearer token held for hours in
 * memory is nothing to keep).
 */
export function authMiddleware(tokens: TokenService, revocations: RevocationStore, stages?: ConnectStages) {
  return (socket: RealtimeSocket, next: (err?: ExtendedError) => void): void => {
    if (stages) admissionStarted(stages, socket);
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === "object" && auth !== null ? (auth as { token?: unknown }).token : undefined;
    const verified = timedStage(stages, "jwt", () => tokens.verify(token)).then(async (principal) => {
      await timedStage(stages, "revocation", () => refuseRevoked(revocations, principal));
      return principal;
    });
    verified.then(
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


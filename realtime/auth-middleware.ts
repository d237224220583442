import type { ExtendedError } from "socket.io";
import type { TokenService } from "../core/auth";
import { toAppError } from "../core/errors";
import { refuseRevoked } from "../core/revocation/revocation-check";
import type { RevocationStore } from "../core/revocation/revocation-store";
import type { RealtimeServer, RealtimeSocket } from "./types";
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
    if (stages) {
      const now = performance.now();
      admissionStarts.set(socket, now);
      const opened = engineOpens.get(socket.conn);
      engineOpens.delete(socket.conn);
      if (opened !== undefined) stages.observe("handshake", now - opened);
    }
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

/** When each socket's admission began (only with stage timing on): the connection handler observes `admitted`. */
export const admissionStarts = new WeakMap<RealtimeSocket, number>();

/** When each Engine.IO connection opened (only with stage timing on: `timeEngineOpens`). */
const engineOpens = new WeakMap<object, number>();

/**
 * With stage timing on, notes when each Engine.IO connection opens (a listener added ahead of Socket.IO's
 * own when the engine is bound, whichever engine attaches it), for the `handshake` stage.
 */
export function timeEngineOpens(io: RealtimeServer): void {
  const bind = io.bind.bind(io);
  io.bind = (engine) => {
    (engine as unknown as { on(event: "connection", listener: (conn: object) => void): void }).on("connection", (conn) => engineOpens.set(conn, performance.now()));
    return bind(engine);
  };
}

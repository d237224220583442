import type { InterlinkedError } from "./errors";
import type { ServerToClientEvents } from "./protocol";
import type { LateInfo, RecoveryInfo } from "./rejoin";

/** Connection and recovery events of the client (besides the server's own events). */
export interface ConnectionEvents {
  /** A connection is up (`reconnect`: not the first one; rejoins follow). */
  connected: (info: { url: string; reconnect: boolean }) => void;
  /** The next attempt is scheduled (after a disconnect or a failed attempt). */
  reconnecting: (info: { attempt: number; delayMs: number; url: string; error?: InterlinkedError }) => void;
  /**
   * The connection went away. `code` is the server's `app:disconnect` code (2002 expired, 2006 revoked,
   * 5003 slow consumer) or a refused handshake's; `willReconnect` is false only when the client stopped.
   */
  disconnected: (info: { reason: string; code?: number; message?: string; willReconnect: boolean }) => void;
  /** A room was rejoined after a reconnect (or a hole was fetched): `recovered` as the server vouched. */
  rejoined: (info: RecoveryInfo & { room: string }) => void;
  /** A conversation was synced after a reconnect (or a hole was fetched). */
  synced: (info: RecoveryInfo & { conversationId: string }) => void;
  /**
   * A message of a hole given up on (`skipped` above) came after all and was delivered to the `room:message` /
   * `chat:message` listeners — after messages with higher seqs. Apps that keep a list order it by `seq`.
   */
  late: (info: LateInfo) => void;
  /** The token was refreshed and the server accepted it (`exp` of the new one, seconds). */
  "token:refreshed": (info: { exp: number }) => void;
  /** A background failure (token refresh, a rejoin the server refused). */
  error: (error: InterlinkedError) => void;
}

/** Every event a client's `on` accepts: the server's (core/events.ts) and the connection's. */
export type ClientEvents = ServerToClientEvents & ConnectionEvents;

/** What a server-side disconnect tells the client first (`app:disconnect`), as in docs/PROTOCOL.md. */
export interface DisconnectNotice {
  code: number;
  message: string;
}

/**
 * Sends an event to every socket of some users, on whichever realtime node they are connected.
 * At most once: a user with no socket now misses it (they read persisted state on connect).
 * Implemented by the realtime tier (the process's Socket.IO, or the Redis emitter); used by workers and the API.
 */
export interface SocketFanout {
  toUsers(tenant: string, users: string[], event: string, payload: unknown): void;
  /** Sends an event to every socket in a tenant's room (`socketRooms.room`), on every node. */
  toRoom(tenant: string, room: string, event: string, payload: unknown): void;
  /**
   * Tells every socket of the user, on every node and namespace (`/` and `/class`), `app:disconnect`
   * with `notice`, then disconnects it from the server side (the event is sent before the disconnect on
   * each socket). Reaches the sockets connected now; keeping the user out is the token checks' job.
   */
  disconnectUser(tenant: string, user: string, notice: DisconnectNotice): void;
}

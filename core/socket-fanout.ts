/**
 * Sends an event to every socket of some users, on whichever realtime node they are connected.
 * At most once: a user with no socket now misses it (they read persisted state on connect).
 * Implemented by the realtime tier (the process's Socket.IO, or the Redis emitter); used by workers.
 */
export interface SocketFanout {
  toUsers(tenant: string, users: string[], event: string, payload: unknown): void;
}

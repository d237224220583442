/**
 * Sends an event to every socket of some users, on whichever realtime node they are connected.
 * At most once: a user with no socket now misses it (they read persisted state on connect).
 */
export interface SocketFanout {
  toUsers(tenant: string, users: string[], event: string, payload: unknown): void;
}

/** The Socket.IO room every socket of a user joins on connect. */
export function userRoomOf(tenant: string, user: string): string {
  return `t:${tenant}:user:${user}`;
}

/**
 * What the server API (api/routes/server.ts) asks of the realtime tier, implemented there
 * (realtime/server-messaging.ts) and wired by app/: a publish goes through the very path of a socket
 * message — the stream's next sequence number, the idempotency key, the tenant's message quotas, the bus
 * (durable before it is acknowledged), the recent history, and fan-out to the sockets on every node.
 */
export interface ServerMessaging {
  /** Publishes into a room as `user` (`system` for the platform itself); `key` makes a retried call land once. */
  publishRoom(tenant: string, input: { room: string; user: string; text: string; key?: string }): Promise<{ id: string; seq: number }>;
  /** Publishes into a conversation; `user` must be a member unless it is `system` (404 otherwise, as for a non-member). */
  publishConversation(tenant: string, input: { conversationId: string; user: string; text: string; key?: string }): Promise<{ id: string; seq: number }>;
  /** Who is in a room now, with their status, cluster-wide. */
  roomPresence(tenant: string, room: string): Promise<{ room: string; memberCount: number; members: Array<{ user: string; status: string }> }>;
  /** The tenant's live connections: the count (connection leases) and, up to `limit`, who they are. */
  connections(tenant: string, limit: number): Promise<{ count: number; connections: Array<{ user: string; role: string; sessionId: string }> }>;
}

/** The author of messages the platform publishes as itself. */
export const SYSTEM_USER = "system";

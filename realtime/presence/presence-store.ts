export type PresenceStatus = "online" | "away" | "offline";

export interface SessionRef {
  tenant: string;
  user: string;
  sessionId: string;
}

/** How long a reap's mark holds (`heartbeat` → `reaping`) after its last sign of progress (a claim, a chunk). */
export const REAP_MARK_MS = 30_000;

/**
 * Cluster-wide presence: sessions (sockets) of users on nodes, and which users are in which room.
 *
 * Guarantees:
 * - Each call is atomic; `cameOnline` / `wentOffline` / `firstInRoom` / `lastInRoom` are true for exactly
 *   one caller when several race, so each transition is announced once.
 * - A user is online while any session is online, away while all are away, offline with none.
 * - Sessions of a node that stops heartbeating for `nodeTtlMs` are removed by `reapDeadNodes` (any node
 *   may call it; each dead node is reaped once), and the transitions this causes are returned. A reap
 *   removes only sessions registered before it claimed the node: those the node registers meanwhile (it
 *   was alive after all) stay, with their index entries.
 */
export interface PresenceStore {
  connect(session: SessionRef, node: string): Promise<{ cameOnline: boolean }>;
  disconnect(session: SessionRef): Promise<{ wentOffline: boolean; leftRooms: string[] }>;
  /** Sets one session's status; returns the user's status before and after. */
  setStatus(session: SessionRef, status: "online" | "away"): Promise<{ before: PresenceStatus; after: PresenceStatus }>;
  statuses(tenant: string, users: string[]): Promise<Record<string, PresenceStatus>>;
  joinRoom(session: SessionRef, room: string): Promise<{ firstInRoom: boolean }>;
  leaveRoom(session: SessionRef, room: string): Promise<{ lastInRoom: boolean }>;
  /** Users with at least one session in the room. */
  roomMembers(tenant: string, room: string): Promise<string[]>;
  /** How many users have a session in the room (O(1): large rooms count without listing). */
  roomMemberCount(tenant: string, room: string): Promise<number>;
  /**
   * Marks the node alive; `wasMissing` when it had been reaped (or never beat): the node must register its
   * sessions again, but only once `reaping` is false — while another node is still removing this node's
   * sessions (it was reaped, yet is alive: a beat delayed past the TTL), what it registers again could be
   * removed behind it. A reaper that stops midway holds `reaping` for at most REAP_MARK_MS.
   */
  heartbeat(node: string): Promise<{ wasMissing: boolean; reaping: boolean }>;
  /** Whether the node has heartbeated within the node TTL. */
  isNodeAlive(node: string): Promise<boolean>;
  /**
   * `self`, the calling node, is never reaped: it is running, and a beat of its own that outlasted the
   * node TTL (a long re-registration) must not remove its own sessions — it would then find itself
   * missing on its next beat and re-register them all again, for ever.
   */
  reapDeadNodes(self?: string): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>>;
  /**
   * Removes the sessions registered under `node` whose id `isLive` denies: called by a node once it runs,
   * for the sessions a previous process with the same node id (a restart, a pod keeping its name) left
   * behind when it was not reaped in between — else they read online for ever.
   */
  reapStaleSessions(node: string, isLive: (sessionId: string) => boolean): Promise<Array<{ tenant: string; user: string; wentOffline: boolean; leftRooms: string[] }>>;
}

/**
 * The one home of every tenant-scoped name: Socket.IO rooms, bus (Kafka) record keys and ordering
 * streams, and the keys of per-tenant state (Redis or memory). Tenant isolation rests on these: each
 * name starts from the tenant of a verified token, and every part is validated before it gets here
 * (tenant, room and user names may not contain ':', see core/tenancy.ts), so a name built for one
 * tenant can never equal a name built for another. Deployment prefixes (`NAMESPACE`) are added by the
 * stores that write to a shared service, not here.
 */

/** Socket.IO rooms (the adapter carries them across nodes). */
export const socketRooms = {
  /** Members of a tenant's room. */
  room: (tenant: string, room: string): string => `t:${tenant}:room:${room}`,
  /** Every socket of one user (notifications, direct chat, moderation). */
  user: (tenant: string, user: string): string => `t:${tenant}:user:${user}`,
  /** Sockets watching one user's presence. */
  presence: (tenant: string, user: string): string => `t:${tenant}:presence:${user}`,
  /** Participants of a live class on the `/class` namespace. */
  class: (tenant: string, classId: string): string => `t:${tenant}:class:${classId}`,
};

/**
 * Ordering keys: a bus record's key (records with one key share a partition, so stay in order), a
 * room's sequence counter, a history stream, a class's placement.
 */
export const orderingKeys = {
  room: (tenant: string, room: string): string => `${tenant}:${room}`,
  conversation: (tenant: string, conversationId: string): string => `${tenant}:${conversationId}`,
  user: (tenant: string, user: string): string => `${tenant}:${user}`,
  class: (tenant: string, classId: string): string => `${tenant}:${classId}`,
  notification: (tenant: string, id: string): string => `${tenant}:${id}`,
  tenant: (tenant: string): string => tenant,
  /** A conversation's recovery history (kept apart from rooms' streams by the `c:` part). */
  chatHistory: (tenant: string, conversationId: string): string => `${tenant}:c:${conversationId}`,
};

/** Keys of per-tenant realtime state (`KeyedState`: claims and flags). */
export const stateKeys = {
  /** An idempotency claim of a keyed event. */
  idempotency: (tenant: string, user: string, key: string): string => `idem:${tenant}:${user}:${key}`,
  /** A user muted in a room. */
  mute: (tenant: string, room: string, user: string): string => `mute:${tenant}:${room}:${user}`,
  /** A user removed from a room by a moderator. */
  kicked: (tenant: string, room: string, user: string): string => `kicked:${tenant}:${room}:${user}`,
  /** The connection leases of a tenant (its concurrent-connection quota). */
  connections: (tenant: string): string => `conn:${tenant}`,
  /** One quota warning per socket and quota (so a socket is warned once per window). */
  quotaWarned: (tenant: string, quota: string, socketId: string): string => `warned:${tenant}:${quota}:${socketId}`,
  /** The start of a tenant's overflow grace of one quota (the claim's owner is the start, ms), kept for the grace period. */
  quotaGrace: (tenant: string, quota: string): string => `grace:${tenant}:${quota}`,
  /** A quota event already published for a tenant's quota and kind within the last window. */
  quotaNoted: (tenant: string, quota: string, kind: string): string => `noted:${tenant}:${quota}:${kind}`,
};

/** Keys of the revocation store (core/revocation/), below the deployment prefix. */
export const revocationKeys = {
  /** The moment before which a user's tokens are refused. */
  user: (tenant: string, user: string): string => `revoked:${tenant}:${user}`,
};

/**
 * Redis Cluster hash tags (`{…}`: only the part inside the first braces picks the slot). A script or MULTI
 * on a cluster may only touch keys of one slot, so every key a multi-key script touches carries the same
 * tag; single-key commands and scripts (sequences, history, leases, revocations, rate limits) carry none
 * and spread over the slots by their whole name.
 * - Presence is tagged per school (`{:<tenant>:}`, the tenant a whole ':'-delimited segment as in every name): a disconnect updates the user's sessions and every
 *   room the session was in within one script, and those rooms are any rooms of the school, so the
 *   smallest unit holding them all is the school. A hot school's presence lives on one primary; a
 *   primary does ~100k script calls/s, far above one school's connect/join rate, and different schools
 *   spread over all primaries. (Per room would split a session's rooms over slots: the disconnect could
 *   no longer be one atomic script.)
 * - The media directory is one small global set (`{media}`): a placement script reads every media node.
 * - A live class's stored state is tagged per class (`{:<tenant>:<classId>:}`): its snapshot and its epoch
 *   are read and written together, and classes spread over all primaries.
 * Names never contain braces (core/tenancy.ts patterns), so no name can move a key to another slot.
 */
export const slotTags = {
  /** All presence keys of one school. */
  presence: (tenant: string): string => `{:${tenant}:}`,
  /** The media nodes and the classes' placements. */
  media: "{media}",
  /** The stored state of one live class (its keys are read and written together by one script). */
  classState: (tenant: string, classId: string): string => `{:${tenant}:${classId}:}`,
};

/** Keys of the Redis presence store, below its own prefix; all of a school's share its slot (`slotTags.presence`). */
export const presenceKeys = {
  /** A user's sessions. */
  user: (tenant: string, user: string): string => `u:${slotTags.presence(tenant)}:${user}`,
  /** A session (tenant, user, node). */
  session: (tenant: string, sessionId: string): string => `s:${slotTags.presence(tenant)}:${sessionId}`,
  /** The rooms a session is in. */
  sessionRooms: (tenant: string, sessionId: string): string => `sr:${slotTags.presence(tenant)}:${sessionId}`,
  /** Members of a tenant's room: the key of `room` below `roomPrefix(tenant)`. */
  roomPrefix: (tenant: string): string => `r:${slotTags.presence(tenant)}:`,
  room: (tenant: string, room: string): string => `r:${slotTags.presence(tenant)}:${room}`,
};

/** The presence store's node index and node set (across schools, so untagged; the index is touched by a script only on one Redis server). */
export const presenceNodeKeys = {
  /** A node's sessions, as `nodeMember` entries. */
  node: (node: string): string => `n:${node}`,
  /** A session's entry in its node's index: `tenant:sessionId` (tenants never contain ':'). */
  nodeMember: (tenant: string, sessionId: string): string => `${tenant}:${sessionId}`,
  /** Live nodes: node → last heartbeat (ms). */
  nodes: "nodes",
  /**
   * Nodes being reaped: node → until when (ms). Given the full key of `nodes`, so that it shares its slot
   * (a hash tag of that whole name): a reap's claim and a heartbeat are each one script on both.
   */
  reaping: (nodesKey: string): string => `{${nodesKey}}:reaping`,
};

/** Keys of the Redis sequence store (realtime/sequence/), given a counter's full key. */
export const sequenceKeys = {
  /**
   * The number a counter took for a message id. The counter's full key is its hash tag, so both share a slot
   * (one script writes both); counter keys hold no braces (tenant, room and conversation names cannot).
   */
  numberedId: (counterKey: string, id: string): string => `{${counterKey}}:id:${id}`,
};

/** Keys of the Redis media directory (realtime/classes/), below the deployment prefix, in one slot. */
export const mediaKeys = {
  /** A live media node (expires unless renewed). */
  node: (nodeId: string): string => `media-node:${slotTags.media}:${nodeId}`,
  nodePrefix: `media-node:${slotTags.media}:`,
  /** The set of registered media nodes. */
  nodes: `media-nodes:${slotTags.media}`,
  /** The media node a class is placed on. */
  placement: (classKey: string): string => `class-media:${slotTags.media}:${classKey}`,
};

/** Keys of the Redis class state store (media/state/), below the deployment prefix; a class's keys share a slot. */
export const classStateKeys = {
  /** The class's snapshot (JSON). */
  snapshot: (tenant: string, classId: string): string => `class-state:${slotTags.classState(tenant, classId)}`,
  /** The class's claim counter (fencing of its media nodes). */
  epoch: (tenant: string, classId: string): string => `class-epoch:${slotTags.classState(tenant, classId)}`,
};

import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Every table carries `tenant_id` and is protected by row-level security (migration 0002_rls): a query
 * sees only rows of the tenant set with `set_config('app.tenant', …, true)` in its transaction
 * (db/tenant-scope.ts). Event tables are keyed by an idempotency id so replays leave one row.
 */
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const tenants = pgTable("tenants", {
  tenantId: text("tenant_id").primaryKey(),
  name: text("name").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
});

/** Per-tenant overrides of the default quotas; a null column keeps the default. */
export const tenantQuotas = pgTable("tenant_quotas", {
  tenantId: text("tenant_id").primaryKey(),
  maxConnections: integer("max_connections"),
  maxMessagesPerSecond: integer("max_messages_per_second"),
  maxBroadcastRecipients: integer("max_broadcast_recipients"),
  maxPayloadBytes: integer("max_payload_bytes"),
  apiRequestsPerMinute: integer("api_requests_per_minute"),
  /** Seconds a tenant may stay above 100 % of a quota per period (warned), before it is refused. */
  overflowGraceSeconds: integer("overflow_grace_seconds"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Reference copy of users seen in tokens (the identity provider owns them). */
export const users = pgTable(
  "users",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    role: text("role").notNull(),
    displayName: text("display_name"),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);

export const rooms = pgTable(
  "rooms",
  {
    tenantId: text("tenant_id").notNull(),
    room: text("room").notNull(),
    title: text("title").notNull(),
    isPrivate: boolean("is_private").notNull().default(false),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.room] })],
);

export const roomMembers = pgTable(
  "room_members",
  {
    tenantId: text("tenant_id").notNull(),
    room: text("room").notNull(),
    userId: text("user_id").notNull(),
    joinedAt: ts("joined_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.room, t.userId] })],
);

/** Every room message, once: keyed by (tenant, id); (tenant, room, seq) is the room's order. */
export const roomMessages = pgTable(
  "room_messages",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    room: text("room").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    userId: text("user_id").notNull(),
    text: text("text").notNull(),
    sentAt: ts("sent_at").notNull(),
    /** clock_timestamp(): the moment each row is written (now() would be the transaction's start). */
    storedAt: ts("stored_at").notNull().default(sql`clock_timestamp()`),
    editedAt: ts("edited_at"),
    deletedAt: ts("deleted_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("room_messages_room_seq").on(t.tenantId, t.room, t.seq),
    index("room_messages_stored_at").on(t.storedAt),
  ],
);

export const conversations = pgTable(
  "conversations",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    kind: text("kind", { enum: ["direct", "group"] }).notNull(),
    title: text("title"),
    /** For direct conversations: "userA|userB" sorted, so a pair has one conversation. */
    directKey: text("direct_key"),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("conversations_direct_key").on(t.tenantId, t.directKey).where(sql`${t.directKey} is not null`),
  ],
);

export const conversationMembers = pgTable(
  "conversation_members",
  {
    tenantId: text("tenant_id").notNull(),
    conversationId: uuid("conversation_id").notNull(),
    userId: text("user_id").notNull(),
    lastDeliveredSeq: bigint("last_delivered_seq", { mode: "number" }).notNull().default(0),
    lastReadSeq: bigint("last_read_seq", { mode: "number" }).notNull().default(0),
    joinedAt: ts("joined_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.conversationId, t.userId] }), index("conversation_members_user").on(t.tenantId, t.userId)],
);

export const chatMessages = pgTable(
  "chat_messages",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    conversationId: uuid("conversation_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    userId: text("user_id").notNull(),
    text: text("text").notNull(),
    sentAt: ts("sent_at").notNull(),
    storedAt: ts("stored_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("chat_messages_conversation_seq").on(t.tenantId, t.conversationId, t.seq)],
);

export const presenceSessions = pgTable(
  "presence_sessions",
  {
    tenantId: text("tenant_id").notNull(),
    sessionId: text("session_id").notNull(),
    userId: text("user_id").notNull(),
    nodeId: text("node_id").notNull(),
    connectedAt: ts("connected_at").notNull(),
    disconnectedAt: ts("disconnected_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.sessionId] }), index("presence_sessions_user").on(t.tenantId, t.userId)],
);

export const feeds = pgTable(
  "feeds",
  {
    tenantId: text("tenant_id").notNull(),
    feed: text("feed").notNull(),
    kind: text("kind", { enum: ["announcements", "course"] }).notNull(),
    title: text("title").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.feed] })],
);

export const feedSubscriptions = pgTable(
  "feed_subscriptions",
  {
    tenantId: text("tenant_id").notNull(),
    feed: text("feed").notNull(),
    userId: text("user_id").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.feed, t.userId] })],
);

export const notifications = pgTable(
  "notifications",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    userId: text("user_id").notNull(),
    feed: text("feed"),
    title: text("title").notNull(),
    body: text("body").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>(),
    createdAt: ts("created_at").notNull(),
    readAt: ts("read_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id, t.userId] }), index("notifications_user_created").on(t.tenantId, t.userId, t.createdAt)],
);

export const liveClasses = pgTable(
  "live_classes",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    title: text("title").notNull(),
    teacherId: text("teacher_id").notNull(),
    room: text("room").notNull(),
    scheduledAt: ts("scheduled_at").notNull(),
    startedAt: ts("started_at"),
    endedAt: ts("ended_at"),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * A class's roster (docs/CLASSES.md): who joins directly. No row: open to the school. `room`: the members of
 * that room (room_members) at join time; `list`: `users`. Everyone else waits in the waiting room.
 */
export const classRosters = pgTable(
  "class_rosters",
  {
    tenantId: text("tenant_id").notNull(),
    classId: uuid("class_id").notNull(),
    mode: text("mode", { enum: ["school", "room", "list"] }).notNull(),
    room: text("room"),
    users: jsonb("users").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    updatedBy: text("updated_by").notNull(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.classId] })],
);

export const attendanceEvents = pgTable(
  "attendance_events",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    classId: uuid("class_id").notNull(),
    userId: text("user_id").notNull(),
    kind: text("kind", { enum: ["joined", "left"] }).notNull(),
    at: ts("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("attendance_events_class").on(t.tenantId, t.classId, t.at)],
);

export const quotaEvents = pgTable(
  "quota_events",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    kind: text("kind", { enum: ["warning", "refused"] }).notNull(),
    quota: text("quota").notNull(),
    used: integer("used").notNull(),
    limit: integer("limit").notNull(),
    at: ts("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/** A user's notification preferences (core/notification-preferences.ts), one JSON document. */
export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    preferences: jsonb("preferences").$type<Record<string, unknown>>().notNull(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);

/** Web push subscriptions (RFC 8030 endpoint + RFC 8291 keys) a user's browsers registered. */
export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    endpoint: text("endpoint").notNull(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.endpoint] })],
);

/**
 * One notification to one user on one outbound channel (email, push) and target: pending until sent,
 * retried at `next_attempt_at` (backoff, quiet hours, mail rate limit), then delivered or dead.
 */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    notificationId: uuid("notification_id").notNull(),
    userId: text("user_id").notNull(),
    channel: text("channel", { enum: ["email", "push"] }).notNull(),
    target: text("target").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["pending", "delivered", "dead"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: ts("created_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("notification_deliveries_once").on(t.tenantId, t.notificationId, t.userId, t.channel, t.target),
    index("notification_deliveries_due").on(t.nextAttemptAt).where(sql`"status" = 'pending'`),
  ],
);

/** A school's webhook endpoint (migration 0004): where events of the listed types are POSTed, signed with `secret`. */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    url: text("url").notNull(),
    events: jsonb("events").$type<string[]>().notNull(),
    secret: text("secret").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Failed attempts in a row (reset by a success); past the threshold the endpoint is disabled. */
    failureStreak: integer("failure_streak").notNull().default(0),
    failingSince: ts("failing_since"),
    disabledReason: text("disabled_reason"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/**
 * One event for one endpoint: pending until delivered (2xx) or dead (out of attempts). `id` is the stable
 * event id (source event id + endpoint), so a replayed source record enqueues nothing new. `seq` orders the
 * deliveries of one (endpoint, order_key): only the oldest pending one of a key is attempted.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity(),
    endpointId: uuid("endpoint_id").notNull(),
    eventType: text("event_type").notNull(),
    orderKey: text("order_key").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    state: text("state", { enum: ["pending", "delivered", "dead"] }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    latencyMs: integer("latency_ms"),
    createdAt: ts("created_at").notNull().defaultNow(),
    completedAt: ts("completed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("webhook_deliveries_due").on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    index("webhook_deliveries_key").on(t.tenantId, t.endpointId, t.orderKey, t.seq).where(sql`${t.state} = 'pending'`),
    index("webhook_deliveries_log").on(t.tenantId, t.endpointId, t.seq),
  ],
);

/** Open sessions as the webhook consumer has seen them: a user's first is `presence.online`, their last `presence.offline`. */
export const webhookSessions = pgTable(
  "webhook_sessions",
  {
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id").notNull(),
    sessionId: text("session_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.sessionId] })],
);

/** A school's server API key: only the SHA-256 of its secret is kept. */
export const apiKeys = pgTable(
  "api_keys",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: jsonb("scopes").$type<string[]>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    rotatedAt: ts("rotated_at"),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("api_keys_id").on(t.id)],
);
/**
 * Recordings of live classes (docs/RECORDING.md): one row per recorded part. A start/stop of recording is a
 * `session`; a recorder crash closes the part it was writing ("recovered") and a new part follows.
 */
export const recordings = pgTable(
  "recordings",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    classId: uuid("class_id").notNull(),
    sessionId: uuid("session_id").notNull(),
    part: integer("part").notNull(),
    status: text("status", { enum: ["recording", "complete", "recovered", "failed"] }).notNull(),
    storageKey: text("storage_key").notNull(),
    contentType: text("content_type").notNull(),
    startedAt: ts("started_at").notNull(),
    endedAt: ts("ended_at"),
    bytes: bigint("bytes", { mode: "number" }),
    durationMs: integer("duration_ms"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("recordings_class").on(t.tenantId, t.classId, t.startedAt)],
);

/** Per-school recording settings; no row keeps the defaults (retention: 90 days). */
export const recordingSettings = pgTable("recording_settings", {
  tenantId: text("tenant_id").primaryKey(),
  retentionDays: integer("retention_days").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Tables under row-level security (all of them); the RLS migration and its test iterate this list. */
export const tenantTables = [
  "tenants", "tenant_quotas", "users", "rooms", "room_members", "room_messages", "conversations", "conversation_members",
  "chat_messages", "presence_sessions", "feeds", "feed_subscriptions", "notifications", "live_classes", "attendance_events", "quota_events",
  "notification_preferences", "push_subscriptions", "notification_deliveries",
  "webhook_endpoints", "webhook_deliveries", "webhook_sessions", "api_keys",
  "recordings", "recording_settings", "class_rosters",
] as const;

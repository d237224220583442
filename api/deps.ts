import type { OpenAPIHono } from "@hono/zod-openapi";
import type { TokenService } from "../core/auth";
import type { DeadLetters } from "../core/bus/dead-letters";
import type { EventBus } from "../core/bus/event-bus";
import type { NodeReport } from "../core/nodes/node-reports";
import type { Metrics } from "../core/metrics/registry";
import type { RevocationStore } from "../core/revocation/revocation-store";
import type { SocketFanout } from "../core/socket-fanout";
import type { RoomMessageStore } from "../db/room-message-store";
import type { ClassStore } from "../db/stores/classes";
import type { RecordingStore } from "../db/stores/recordings";
import type { RecordingStorage } from "../core/recording-storage";
import type { ConversationStore } from "../db/stores/conversations";
import type { FeedStore } from "../db/stores/feeds";
import type { NotificationStore } from "../db/stores/notifications";
import type { NotificationPreferenceStore } from "../db/stores/notification-preferences";
import type { NotificationDeliveryStore } from "../db/stores/notification-deliveries";
import type { RoomStore } from "../db/stores/rooms";
import type { TenantLimits } from "../db/stores/tenant-limits";
import type { TenantStore } from "../db/stores/tenants";
import type { WebhookStore } from "../db/stores/webhooks";
import type { ApiKeyStore } from "../db/stores/api-keys";
import type { ServerMessaging } from "../core/server-messaging";
import type { AuthEnv } from "./auth";
import type { TenantRateLimiter } from "./rate-limit";

export interface Stores {
  messages: RoomMessageStore;
  rooms: RoomStore;
  conversations: ConversationStore;
  notifications: NotificationStore;
  /** Users' notification preferences and push subscriptions (the webhook side reads its `webhook` flag here). */
  notificationPreferences: NotificationPreferenceStore;
  /** Outbound email/push deliveries (dead ones listed and requeued by school admins). */
  notificationDeliveries: NotificationDeliveryStore;
  feeds: FeedStore;
  classes: ClassStore;
  /** Recordings of classes: rows, and the files (local directory or S3-compatible bucket). */
  recordings: RecordingStore;
  recordingFiles: RecordingStorage;
  tenants: TenantStore;
  webhooks: WebhookStore;
  apiKeys: ApiKeyStore;
}

/** What the /v1 routes use. */
export interface V1Deps {
  tokens: TokenService;
  /** Users' revocation moments: read by bearer auth, written by the revoke route (cached per node ≤ 1 s). */
  revocations: RevocationStore;
  /** Reaches users' sockets on every realtime node (the revoke route disconnects through it). */
  fanout: SocketFanout;
  bus: EventBus;
  stores: Stores;
  limiter: TenantRateLimiter;
  /** Tenants' effective quota limits, cached (shared with the realtime tier of the process). */
  limits: TenantLimits;
  metrics: Metrics;
  /** The server API's messaging (realtime/server-messaging.ts); absent where the process cannot publish. */
  server?: ServerMessaging;
  /** Whether webhook endpoints may be on loopback / private addresses (WEBHOOKS_ALLOW_PRIVATE). */
  webhooksAllowPrivate: boolean;
  /** Live figures of the realtime tier (connections now, cluster-wide). */
  liveConnections: (tenant: string) => Promise<number>;
  /** Messages counted in the tenant's current one-second quota window, cluster-wide (what 3002 is decided on). */
  messagesThisSecond: (tenant: string) => Promise<number>;
  /** The latest report of every process; a node whose report is older than `silentAfterMs` counts as silent. */
  nodes: { list(): Promise<NodeReport[]>; silentAfterMs: number };
  /** The dead-letter topic (list, replay). */
  deadLetters: DeadLetters;
}

export type V1App = OpenAPIHono<AuthEnv>;

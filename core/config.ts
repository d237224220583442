import { DEFAULT_RETRY_SCHEDULE_MS } from "./webhooks/schedule";
import type { AuthOptions } from "./auth";
import type { LogLevel } from "./log";
import type { RecordingOptions } from "./recording-config";

export type ProcessRole = "realtime" | "api" | "workers";

/** Options of the realtime tier (defaults in `realtimeDefaults`). */
export interface RealtimeOptions {
  /** Largest accepted message text, bytes (UTF-8). Default 65,536; larger is refused with 1003. */
  maxMessageBytes: number;
  /** Largest Engine.IO packet, bytes; a larger one closes the connection. Default 1,000,000. */
  maxHttpBufferSize: number;
  /** Engine.IO ping interval / timeout, ms. Defaults 25,000 / 20,000 (Socket.IO's). */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Inbound events one socket may send per second; more are refused with 3003. Default 50. */
  perSocketEventsPerSecond: number;
  /** Bytes a socket's send buffer may hold before it is disconnected as a slow consumer (5003). Default 1 MiB. */
  maxSocketBufferBytes: number;
  /** Engine: Node http + ws ("ws", default) or uWebSockets.js ("uws"). */
  engine: "ws" | "uws";
  /** Node cluster workers behind @socket.io/sticky on this host (ws engine, needs Redis). Default 1 (no cluster). */
  workers: number;
  /** Set inside such a worker: it takes connections from the sticky primary instead of listening. */
  stickyWorker: boolean;
  /** Prefix of the Engine.IO session ids this node issues (`n0.` + id), so nginx can route long-polling by `?sid=`. */
  stickyRoute?: string;
  /** Rooms with more members than this get no per-join `room:member` diffs and no member list in the join ack. Default 1,000. */
  roomPresenceLimit: number;
  /** On SIGTERM: how long to move this node's connections to other nodes before stopping, ms. Default 20,000. */
  drainGraceMs: number;
  /**
   * Admission control: each second the event loop was ≥ 90 % busy and its p99 delay above this halves
   * the share of room and chat messages admitted (a calm second gives a quarter back); the rest are
   * refused with 5005 (temporary) instead of queueing fan-out the node cannot send.
   * Default 250 ms; 0 turns it off.
   */
  overloadLagMs: number;
  /**
   * Handshake admission (realtime/connect-admission.ts): new handshakes are refused at once ("busy", the
   * client retries after its backoff) while the oldest connection still being set up (Engine.IO open →
   * auth, connection quota, presence registration) has waited longer than this, ms: the node is behind,
   * and would finish what it admits after the client's handshake timeout. Default 5,000; 0 turns it off.
   */
  connectSetupLimitMs: number;
  /** Handshake admission: new handshakes are refused while this many connections are being set up. Default 10,000; 0 turns it off. */
  maxPendingConnects: number;
  /**
   * Under fan-out load, room broadcasts are collected this long and written together, one send per
   * subscriber per window instead of per message (uWS: realtime/uws-publish.ts, ws: realtime/ws-publish.ts);
   * rooms under 100 local members, and every broadcast while the node is quiet, are written at once.
   * Default 50 ms; 0 writes every broadcast at once.
   */
  fanoutBatchMs: number;
  /**
   * CONNECT_STAGE_TIMING=1: each connect's stages (JWT, revocation, quota, presence, session event,
   * backlog) are timed into `interlinked_connect_stage_seconds` (core/metrics/connect-stages.ts), for
   * `npm run bench:sockets`. Off by default: no series, no timing.
   */
  connectStageTiming?: boolean;
}

export const realtimeDefaults: RealtimeOptions = {
  maxMessageBytes: 65_536,
  maxHttpBufferSize: 1_000_000,
  pingIntervalMs: 25_000,
  pingTimeoutMs: 20_000,
  perSocketEventsPerSecond: 50,
  maxSocketBufferBytes: 1 << 20,
  engine: "ws",
  workers: 1,
  stickyWorker: false,
  drainGraceMs: 20_000,
  roomPresenceLimit: 1_000,
  overloadLagMs: 250,
  connectSetupLimitMs: 5_000,
  maxPendingConnects: 10_000,
  fanoutBatchMs: 50,
};

/** Options of the live-class media tier (mediasoup; defaults in `mediaDefaults`). */
export interface MediaOptions {
  /** Host live classes on this node (mediasoup workers). Default: on when a worker binary is known. */
  enabled: boolean;
  /** mediasoup workers (one process each). Default: one per CPU core. */
  workers: number;
  /** The mediasoup-worker binary; default mediasoup's own (MEDIASOUP_WORKER_BIN). */
  workerBin?: string;
  /** Address WebRTC transports listen on. Default 127.0.0.1. */
  listenIp: string;
  /** Address announced to clients (public IP behind NAT). Default: the listen address. */
  announcedAddress?: string;
  /** UDP/TCP port range of WebRTC transports. Default 40000–49999. */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Consumers one router takes before a class's next receivers go to a router on another worker (pipeToRouter). Default 500. */
  consumersPerRouter: number;
  /** How long a signaling call to the class's media node may take, ms. Default 5,000. */
  signalingTimeoutMs: number;
}

export const mediaDefaults: MediaOptions = {
  enabled: false,
  workers: 1,
  listenIp: "127.0.0.1",
  rtcMinPort: 40_000,
  rtcMaxPort: 49_999,
  consumersPerRouter: 500,
  signalingTimeoutMs: 5_000,
};

/**
 * OpenTelemetry tracing (standard OTEL_* variables, read in core/config-env.ts). Off by default: with
 * `exporter: "none"` no SDK is loaded and the code's spans are the API's no-ops.
 */
export interface TracingOptions {
  /** "otlp": OTLP over HTTP (JSON) to `endpoint`; "console": spans printed to stdout; "none": off. */
  exporter: "otlp" | "console" | "none";
  /** Full URL spans are posted to (…/v1/traces). Default http://localhost:4318/v1/traces. */
  endpoint: string;
  /** Extra HTTP headers of the export requests (OTEL_EXPORTER_OTLP_HEADERS), e.g. an API key. */
  headers: Record<string, string>;
  /** `service.name` of this process's spans. Default "interlinked". */
  serviceName: string;
  /** Further resource attributes (OTEL_RESOURCE_ATTRIBUTES), e.g. deployment.environment.name. */
  resourceAttributes: Record<string, string>;
  /** Share of new traces recorded (0–1); a trace started elsewhere follows its parent's decision. Default 1. */
  sampleRatio: number;
  /** Finished spans are sent in batches at most this long after they end, ms (OTEL_BSP_SCHEDULE_DELAY). Default 5,000. */
  exportDelayMs: number;
}

export const tracingDefaults: TracingOptions = {
  exporter: "none",
  endpoint: "http://localhost:4318/v1/traces",
  headers: {},
  serviceName: "interlinked",
  resourceAttributes: {},
  sampleRatio: 1,
  exportDelayMs: 5_000,
};

/** Webhook delivery (workers; defaults in `webhookDefaults`, environment in README "Configuration"). */
export interface WebhookOptions {
  /** Allow endpoints on loopback, private and link-local addresses (WEBHOOKS_ALLOW_PRIVATE=1). Default false. */
  allowPrivate: boolean;
  /** Delays before each retry, ms (WEBHOOKS_RETRY_SCHEDULE). Default core/webhooks/schedule.ts: ≈ 27.6 h in all. */
  retryScheduleMs: readonly number[];
  /** Per-attempt limit, ms (WEBHOOKS_TIMEOUT_MS). Default 10,000. */
  timeoutMs: number;
  /** Attempts in flight at once per endpoint (WEBHOOKS_ENDPOINT_CONCURRENCY). Default 8. */
  perEndpointConcurrency: number;
  /** Attempts in flight at once per school (WEBHOOKS_TENANT_CONCURRENCY). Default 32. */
  perTenantConcurrency: number;
  /** An endpoint is disabled after this many failed attempts in a row … (WEBHOOKS_DISABLE_AFTER_FAILURES). Default 50. */
  disableAfterFailures: number;
  /** … spanning at least this long, ms (WEBHOOKS_DISABLE_AFTER_MS). Default 86,400,000 (24 h). */
  disableAfterMs: number;
  /** How often the scheduler looks for due retries when nothing wakes it, ms. Default 250. */
  pollMs: number;
}

export const webhookDefaults: WebhookOptions = {
  allowPrivate: false,
  retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
  timeoutMs: 10_000,
  perEndpointConcurrency: 8,
  perTenantConcurrency: 32,
  disableAfterFailures: 50,
  disableAfterMs: 86_400_000,
  pollMs: 250,
};

/**
 * Outbound notification delivery (docs/NOTIFICATIONS.md). A channel without its settings is off (the
 * process says so at start): no `smtp` → no email, no `vapid` → no web push.
 */
export interface NotificationOptions {
  /** SMTP_URL (smtp://user:pass@host:port, smtps://…) and SMTP_FROM. */
  smtp?: { url: string; from: string };
  /** VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY (URL-safe base64, `web-push generate-vapid-keys`), VAPID_SUBJECT (mailto:/https:). */
  vapid?: { publicKey: string; privateKey: string; subject: string; extraCaPem?: string };
  /** Outbound mail per school per minute (NOTIFY_MAIL_PER_MINUTE); excess waits. Default 120. */
  mailPerMinute: number;
  /** Attempts before a delivery is dead-lettered (NOTIFY_RETRY_ATTEMPTS). Default 8. */
  retryAttempts: number;
  /** First retry delay and cap, ms (NOTIFY_RETRY_BASE_MS, NOTIFY_RETRY_MAX_MS). Defaults 30,000 and 3,600,000. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often due deliveries are polled, ms (NOTIFY_POLL_MS). Default 1,000. */
  pollMs: number;
  /** How long a claimed delivery is hidden from other nodes while being sent, ms. Default 60,000. */
  leaseMs: number;
}

export const notificationDefaults: NotificationOptions = {
  mailPerMinute: 120,
  retryAttempts: 8,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  pollMs: 1_000,
  leaseMs: 60_000,
};

/**
 * Everything one Interlinked process needs. Built from the environment only by entry points
 * (core/config-env.ts); everything else receives it. Absent URLs select the embedded part:
 * no DATABASE_URL → PGlite in `dataDir`, no REDIS_URL → in-process adapter and counters,
 * no KAFKA_BROKERS → in-memory bus.
 */
export interface InterlinkedConfig {
  /** HTTP port for the API, health and Socket.IO (`/socket.io`). Default 3000; 0 picks a free one. */
  port: number;
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** What this process runs. Default all three. */
  roles: ReadonlySet<ProcessRole>;
  /** Name of this node in logs and Kafka client ids. Default hostname-pid. */
  nodeId: string;
  /** Prefix of Kafka topics and groups and Redis keys, so deployments can share services. Default "il". */
  namespace: string;
  /** Embedded data (PGlite, dev secret). Default ./data. */
  dataDir: string;
  databaseUrl?: string;
  /** One Redis server (REDIS_URL). */
  redisUrl?: string;
  /**
   * Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES: `host:port` or `redis://[user:password@]host:port`
   * entries, comma-separated); the rest of the cluster is discovered. Excludes `redisUrl`.
   */
  redisClusterNodes?: string[];
  /**
   * Redis Cluster node addresses as the cluster announces them → as this process reaches them
   * (REDIS_CLUSTER_NAT_MAP: `host:port=host:port` pairs, comma-separated), for nodes behind NAT or a proxy.
   */
  redisClusterNatMap?: Record<string, string>;
  kafkaBrokers?: string[];
  /** Replication factor of the Kafka topics this process creates (KAFKA_REPLICATION_FACTOR). Default 1. */
  kafkaReplicationFactor?: number;
  /** `min.insync.replicas` of the topics it creates (KAFKA_MIN_INSYNC_REPLICAS): acks=all writes need this many. Default 1. */
  kafkaMinInsyncReplicas?: number;
  /** How long a write may wait for Kafka (retrying) before it is refused with 5001, ms. Default 30,000. */
  kafkaPublishTimeoutMs: number;
  /**
   * How long an idle consumer's fetch waits at the broker (KAFKA_CONSUMER_MAX_WAIT_MS), ms; a consumer's
   * stop waits for it. Default 5,000 (kafkajs'); the tests use 500 so a deployment stops in a second.
   */
  kafkaConsumerMaxWaitMs?: number;
  /**
   * How often a consumer commits the offsets it handled (KAFKA_COMMIT_INTERVAL_MS), ms; 0 commits after
   * each batch. Default 1,000. Records handled since the last commit are delivered again after a crash.
   */
  kafkaCommitIntervalMs?: number;
  /** Apply database migrations at start. Default true when embedded, else false (run `npm run db:migrate`). */
  migrateOnStart: boolean;
  /** Serve POST /v1/dev/tokens. Default true only when embedded, or AUTH_DEV_TOKENS=1. */
  devTokens: boolean;
  /**
   * Bearer token for GET /metrics (METRICS_TOKEN). Set: the full exposition, tenant-labelled series
   * included, for callers presenting it (others 401). Unset: series labelled by tenant are left out.
   */
  metricsToken?: string;
  auth: AuthOptions;
  realtime: RealtimeOptions;
  media: MediaOptions;
  webhooks: WebhookOptions;
  /** Recording of live classes; default: local files under `dataDir` (core/recording-config.ts). */
  recording?: RecordingOptions;
  /** Least severe level logged (LOG_LEVEL). Default "info". */
  logLevel: LogLevel;
  tracing: TracingOptions;
  /** Outbound notification delivery; absent → `notificationDefaults` (no email, no push). */
  notifications?: NotificationOptions;
}

export const authDefaults = { issuer: "interlinked", audience: "interlinked", tokenTtlSeconds: 3600, revocationRetentionSeconds: 86_400 };

/** True when nothing external is configured: the one-process embedded default. */
export function isEmbedded(config: Pick<InterlinkedConfig, "databaseUrl" | "redisUrl" | "redisClusterNodes" | "kafkaBrokers">): boolean {
  return !config.databaseUrl && !hasRedis(config) && !config.kafkaBrokers;
}

/** True when the process shares state through Redis: one server (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES). */
export function hasRedis(config: Pick<InterlinkedConfig, "redisUrl" | "redisClusterNodes">): boolean {
  return Boolean(config.redisUrl) || (config.redisClusterNodes?.length ?? 0) > 0;
}

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import type { JSONWebKeySet } from "jose";
import { join } from "node:path";
import { parseRetrySchedule } from "./webhooks/schedule";
import { authDefaults, isEmbedded, mediaDefaults, notificationDefaults, realtimeDefaults, tracingDefaults, webhookDefaults, type InterlinkedConfig, type NotificationOptions, type ProcessRole, type TracingOptions } from "./config";
import { LOG_LEVELS, type LogLevel } from "./log";
import { recordingOptionsFromEnv } from "./recording-config";

const ROLE_NAMES: readonly ProcessRole[] = ["realtime", "api", "workers"];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function atLeastOne(name: string, value: number): number {
  if (value < 1) throw new Error(`${name} must be at least 1, got ${value}`);
  return value;
}

function roles(raw: string | undefined): Set<ProcessRole> {
  if (!raw) return new Set(ROLE_NAMES);
  const names = raw.split(",").map((r) => r.trim());
  for (const n of names) if (!ROLE_NAMES.includes(n as ProcessRole)) throw new Error(`ROLES: unknown role "${n}" (use ${ROLE_NAMES.join(",")})`);
  return new Set(names as ProcessRole[]);
}

function stickyRoute(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^[a-z0-9]{1,16}$/.test(raw)) throw new Error(`STICKY_ROUTE must be 1–16 lowercase letters or digits, got "${raw}"`);
  return raw;
}

/** DATA_DIR: a directory path. A URL ("memory://", "file://…") is refused: it would become a directory of that name. */
export function dataDirFrom(raw: string | undefined): string {
  if (!raw) return "./data";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new Error(`DATA_DIR must be a directory path, got the URL "${raw}" (PGlite and the dev secret live in files under it)`);
  return raw;
}

/** The embedded default keeps one generated secret in DATA_DIR so tokens survive restarts. */
function embeddedSecret(dataDir: string): string {
  const file = join(dataDir, "dev-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** LOG_LEVEL: one of pino's levels (fatal, error, warn, info, debug, trace, silent); default info. */
export function logLevelFrom(raw: string | undefined): LogLevel {
  if (!raw) return "info";
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return level as LogLevel;
}

/** `k1=v1,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), values URL-decoded. */
function keyValues(name: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",")) {
    if (!pair.trim()) continue;
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`${name}: expected key=value pairs separated by commas, got "${pair}"`);
    out[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return out;
}

const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

/**
 * Tracing from the standard OpenTelemetry variables. Off unless OTEL_TRACES_EXPORTER is otlp / console,
 * or an OTLP endpoint is set and OTEL_TRACES_EXPORTER is not "none"; OTEL_SDK_DISABLED=true turns it off.
 */
export function tracingFrom(env: NodeJS.ProcessEnv): TracingOptions {
  const endpointSet = Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const requested = (env.OTEL_TRACES_EXPORTER || (endpointSet ? "otlp" : "none")).split(",").map((e) => e.trim());
  for (const e of requested) if (!["otlp", "console", "none"].includes(e)) throw new Error(`OTEL_TRACES_EXPORTER: "${e}" is not supported (use otlp, console or none)`);
  const exporter = env.OTEL_SDK_DISABLED === "true" ? "none" : requested.includes("otlp") ? "otlp" : requested.includes("console") ? "console" : "none";
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (exporter === "otlp" && protocol === "grpc") throw new Error("OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: spans are sent over OTLP/HTTP (port 4318)");
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, "");
  const sampler = env.OTEL_TRACES_SAMPLER || "parentbased_always_on";
  if (!SAMPLERS.includes(sampler)) throw new Error(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(", ")}, got "${sampler}"`);
  const ratioArg = env.OTEL_TRACES_SAMPLER_ARG ? Number(env.OTEL_TRACES_SAMPLER_ARG) : 1;
  if (sampler.endsWith("traceidratio") && !(ratioArg >= 0 && ratioArg <= 1)) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${env.OTEL_TRACES_SAMPLER_ARG}"`);
  const resourceAttributes = keyValues("OTEL_RESOURCE_ATTRIBUTES", env.OTEL_RESOURCE_ATTRIBUTES);
  return {
    exporter,
    endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base}/v1/traces` : tracingDefaults.endpoint),
    headers: { ...keyValues("OTEL_EXPORTER_OTLP_HEADERS", env.OTEL_EXPORTER_OTLP_HEADERS), ...keyValues("OTEL_EXPORTER_OTLP_TRACES_HEADERS", env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    serviceName: env.OTEL_SERVICE_NAME || resourceAttributes["service.name"] || tracingDefaults.serviceName,
    resourceAttributes,
    sampleRatio: sampler.endsWith("always_off") ? 0 : sampler.endsWith("traceidratio") ? ratioArg : 1,
    exportDelayMs: int(env, "OTEL_BSP_SCHEDULE_DELAY", tracingDefaults.exportDelayMs),
  };
}

/**
 * Outbound notifications: SMTP when SMTP_URL is set (SMTP_FROM required with it), web push when the three
 * VAPID_* variables are set (all or none); retry schedule, poll interval and mail rate.
 */
export function notificationsFrom(env: NodeJS.ProcessEnv): NotificationOptions {
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new Error(`SMTP_URL must start with smtp:// or smtps://`);
  if (smtpUrl && !env.SMTP_FROM) throw new Error("SMTP_FROM is required with SMTP_URL");
  const vapidVars = [env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT];
  const vapidSet = vapidVars.filter(Boolean).length;
  if (vapidSet !== 0 && vapidSet !== 3) throw new Error("VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together");
  if (env.VAPID_SUBJECT && !/^(mailto:|https:)/.test(env.VAPID_SUBJECT)) throw new Error("VAPID_SUBJECT must be a mailto: or https: URL");
  return {
    smtp: smtpUrl ? { url: smtpUrl, from: env.SMTP_FROM as string } : undefined,
    vapid:
      vapidSet === 3
        ? {
            publicKey: env.VAPID_PUBLIC_KEY as string,
            privateKey: env.VAPID_PRIVATE_KEY as string,
            subject: env.VAPID_SUBJECT as string,
            extraCaPem: env.PUSH_EXTRA_CA_FILE ? readFileSync(env.PUSH_EXTRA_CA_FILE, "utf8") : undefined,
          }
        : undefined,
    mailPerMinute: Math.max(1, int(env, "NOTIFY_MAIL_PER_MINUTE", notificationDefaults.mailPerMinute)),
    retryAttempts: Math.max(1, int(env, "NOTIFY_RETRY_ATTEMPTS", notificationDefaults.retryAttempts)),
    retryBaseMs: int(env, "NOTIFY_RETRY_BASE_MS", notificationDefaults.retryBaseMs),
    retryMaxMs: int(env, "NOTIFY_RETRY_MAX_MS", notificationDefaults.retryMaxMs),
    pollMs: Math.max(10, int(env, "NOTIFY_POLL_MS", notificationDefaults.pollMs)),
    leaseMs: Math.max(1_000, int(env, "NOTIFY_LEASE_MS", notificationDefaults.leaseMs)),
  };
}

/** REDIS_CLUSTER_NAT_MAP: `announced=reachable` pairs of `host:port`, comma-separated. */
function natMapFromEnv(value: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [from, to, ...rest] = pair.split("=");
    if (!from || !to || rest.length > 0 || !/:\d+$/.test(from) || !/:\d+$/.test(to)) throw new Error(`REDIS_CLUSTER_NAT_MAP: "${pair}" is not host:port=host:port`);
    map[from] = to;
  }
  return map;
}

/** Reads the process environment (entry points only). Table of variables: README "Configuration". */
export function configFromEnv(env: NodeJS.ProcessEnv): InterlinkedConfig {
  const urls = {
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisClusterNodes: env.REDIS_CLUSTER_NODES ? env.REDIS_CLUSTER_NODES.split(",").map((n) => n.trim()).filter((n) => n !== "") : undefined,
    redisClusterNatMap: env.REDIS_CLUSTER_NAT_MAP ? natMapFromEnv(env.REDIS_CLUSTER_NAT_MAP) : undefined,
    kafkaBrokers: env.KAFKA_BROKERS ? env.KAFKA_BROKERS.split(",").map((b) => b.trim()) : undefined,
  };
  if (urls.redisUrl && urls.redisClusterNodes) throw new Error("set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both");
  const embedded = isEmbedded(urls);
  const dataDir = dataDirFrom(env.DATA_DIR);
  const secret = env.AUTH_SECRET || (embedded ? embeddedSecret(dataDir) : undefined);
  if (!secret) throw new Error("AUTH_SECRET is required when DATABASE_URL, REDIS_URL, REDIS_CLUSTER_NODES or KAFKA_BROKERS is set");
  return {
    ...urls,
    port: int(env, "PORT", 3000),
    host: env.HOST || "0.0.0.0",
    roles: roles(env.ROLES),
    nodeId: env.NODE_ID || `${hostname()}-${process.pid}`,
    namespace: env.NAMESPACE || "il",
    kafkaPublishTimeoutMs: int(env, "KAFKA_PUBLISH_TIMEOUT_MS", 30_000),
    kafkaConsumerMaxWaitMs: atLeastOne("KAFKA_CONSUMER_MAX_WAIT_MS", int(env, "KAFKA_CONSUMER_MAX_WAIT_MS", 5_000)),
    kafkaCommitIntervalMs: int(env, "KAFKA_COMMIT_INTERVAL_MS", 1_000),
    kafkaReplicationFactor: atLeastOne("KAFKA_REPLICATION_FACTOR", int(env, "KAFKA_REPLICATION_FACTOR", 1)),
    kafkaMinInsyncReplicas: atLeastOne("KAFKA_MIN_INSYNC_REPLICAS", int(env, "KAFKA_MIN_INSYNC_REPLICAS", 1)),
    dataDir,
    migrateOnStart: env.DB_MIGRATE ? env.DB_MIGRATE === "1" : embedded,
    devTokens: embedded || env.AUTH_DEV_TOKENS === "1",
    metricsToken: env.METRICS_TOKEN || undefined,
    auth: {
      secret,
      issuer: env.AUTH_ISSUER || authDefaults.issuer,
      audience: env.AUTH_AUDIENCE || authDefaults.audience,
      tokenTtlSeconds: int(env, "AUTH_TOKEN_TTL", authDefaults.tokenTtlSeconds),
      revocationRetentionSeconds: int(env, "AUTH_REVOCATION_RETENTION", authDefaults.revocationRetentionSeconds),
      jwks: env.AUTH_JWKS_URL ? new URL(env.AUTH_JWKS_URL) : env.AUTH_JWKS_FILE ? (JSON.parse(readFileSync(env.AUTH_JWKS_FILE, "utf8")) as JSONWebKeySet) : undefined,
    },
    realtime: {
      maxMessageBytes: int(env, "MAX_MESSAGE_BYTES", realtimeDefaults.maxMessageBytes),
      maxHttpBufferSize: int(env, "MAX_HTTP_BUFFER_SIZE", realtimeDefaults.maxHttpBufferSize),
      pingIntervalMs: int(env, "PING_INTERVAL_MS", realtimeDefaults.pingIntervalMs),
      pingTimeoutMs: int(env, "PING_TIMEOUT_MS", realtimeDefaults.pingTimeoutMs),
      perSocketEventsPerSecond: int(env, "SOCKET_EVENTS_PER_SECOND", realtimeDefaults.perSocketEventsPerSecond),
      maxSocketBufferBytes: int(env, "SOCKET_MAX_BUFFER_BYTES", realtimeDefaults.maxSocketBufferBytes),
      engine: env.REALTIME_ENGINE === "uws" ? "uws" : "ws",
      workers: Math.max(1, int(env, "REALTIME_WORKERS", realtimeDefaults.workers)),
      stickyWorker: env.INTERLINKED_STICKY_WORKER === "1",
      stickyRoute: stickyRoute(env.STICKY_ROUTE),
      drainGraceMs: int(env, "DRAIN_GRACE_MS", realtimeDefaults.drainGraceMs),
      roomPresenceLimit: int(env, "ROOM_PRESENCE_LIMIT", realtimeDefaults.roomPresenceLimit),
      overloadLagMs: int(env, "OVERLOAD_LAG_MS", realtimeDefaults.overloadLagMs),
      connectSetupLimitMs: int(env, "CONNECT_SETUP_LIMIT_MS", realtimeDefaults.connectSetupLimitMs),
      maxPendingConnects: int(env, "MAX_PENDING_CONNECTS", realtimeDefaults.maxPendingConnects),
      fanoutBatchMs: int(env, "FANOUT_BATCH_MS", realtimeDefaults.fanoutBatchMs),
      connectStageTiming: env.CONNECT_STAGE_TIMING === "1",
    },
    recording: recordingOptionsFromEnv(env, dataDir),
    logLevel: logLevelFrom(env.LOG_LEVEL),
    tracing: tracingFrom(env),
    notifications: notificationsFrom(env),
    webhooks: {
      allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE === "1",
      retryScheduleMs: env.WEBHOOKS_RETRY_SCHEDULE ? parseRetrySchedule(env.WEBHOOKS_RETRY_SCHEDULE) : webhookDefaults.retryScheduleMs,
      timeoutMs: int(env, "WEBHOOKS_TIMEOUT_MS", webhookDefaults.timeoutMs),
      perEndpointConcurrency: int(env, "WEBHOOKS_ENDPOINT_CONCURRENCY", webhookDefaults.perEndpointConcurrency),
      perTenantConcurrency: int(env, "WEBHOOKS_TENANT_CONCURRENCY", webhookDefaults.perTenantConcurrency),
      disableAfterFailures: int(env, "WEBHOOKS_DISABLE_AFTER_FAILURES", webhookDefaults.disableAfterFailures),
      disableAfterMs: int(env, "WEBHOOKS_DISABLE_AFTER_MS", webhookDefaults.disableAfterMs),
      pollMs: webhookDefaults.pollMs,
    },
    media: {
      // MEDIA=1 / 0 forces it; by default a node hosts classes when it knows a worker binary.
      enabled: env.MEDIA ? env.MEDIA === "1" : Boolean(env.MEDIASOUP_WORKER_BIN),
      workers: Math.max(1, int(env, "MEDIA_WORKERS", availableParallelism())),
      workerBin: env.MEDIASOUP_WORKER_BIN || undefined,
      listenIp: env.MEDIA_LISTEN_IP || mediaDefaults.listenIp,
      announcedAddress: env.MEDIA_ANNOUNCED_ADDRESS || undefined,
      rtcMinPort: int(env, "MEDIA_RTC_MIN_PORT", mediaDefaults.rtcMinPort),
      rtcMaxPort: int(env, "MEDIA_RTC_MAX_PORT", mediaDefaults.rtcMaxPort),
      consumersPerRouter: Math.max(1, int(env, "MEDIA_CONSUMERS_PER_ROUTER", mediaDefaults.consumersPerRouter)),
      signalingTimeoutMs: int(env, "MEDIA_SIGNALING_TIMEOUT_MS", mediaDefaults.signalingTimeoutMs),
    },
  };
}

import { randomUUID } from "node:crypto";
import { createApi } from "../api/create-api";
import { TenantRateLimiter } from "../api/rate-limit";
import { TokenService } from "../core/auth";
import { BatchingPublisher } from "../core/bus/batching-publisher";
import type { EventBus } from "../core/bus/event-bus";
import { newEvent, publishEvents, streams } from "../core/contracts/streams";
import type { InterlinkedConfig } from "../core/config";
import { createLogger, type Logger } from "../core/log";
import { createMetrics } from "../core/metrics/registry";
import { connectStageTiming } from "../core/metrics/connect-stages";
import { CachedRevocations } from "../core/revocation/revocation-cache";
import { EventWriter } from "../db/event-writer";
import { TenantLimits } from "../db/stores/tenant-limits";
import { startClassTier, type ClassTier } from "./class-tier";
import { createRealtimeNode, type RealtimeNode } from "../realtime/create-realtime-node";
import { drainRealtime } from "../realtime/drain";
import { isolateRealtime, rejoinRealtime } from "../realtime/isolation";
import { applyStickyRoute } from "../realtime/sticky-route";
import type { SocketFanout } from "../core/socket-fanout";
import { LocalSocketFanout } from "../realtime/fanout/socket-fanout-local";
import { RedisSocketFanout } from "../realtime/fanout/socket-fanout-redis";
import { TenantQuotas, type QuotaEventData } from "../realtime/quotas";
import { MessagePublisher } from "../realtime/room-messages";
import { RealtimeServerMessaging, type LiveSocket } from "../realtime/server-messaging";
import { collectConsumerLag, startWorkers } from "../workers/start-workers";
import { startNotificationDelivery } from "../workers/notifications/start-delivery";
import { startWebhooks } from "../workers/webhooks/start-webhooks";
import { openInfrastructure } from "./infrastructure";
import { openNodeReports, openDeadLetters } from "./admin-sources";
import { startNodeReporter } from "./node-reporter";
import { prepareBus } from "./prepare-bus";
import { NODE_TTL_MS } from "../realtime/node-liveness";
import { startTracing } from "./tracing";
import { serveOnNodeHttp } from "./adapter/node-http";
import { serveAsStickyWorker } from "./adapter/sticky-worker";
import { serveOnUws } from "./adapter/uws";
import { findWebRoot, serveWebPages } from "./web-assets";
import { recordingOptionsFromEnv } from "../core/recording-config";

/** A running Interlinked process: its HTTP address and how to stop it. */
export interface RunningInterlinked {
  url: string;
  port: number;
  /** What the process runs on, for the start banner. */
  parts: Record<string, string>;
  /** The event bus this process writes to (tools and tests publish through it). */
  bus: EventBus;
  /** This node's logger (`node` bound), for the entry point's banner and shutdown records. */
  log: Logger;
  /** Live classes: the media node, when this process hosts classes. */
  classes?: ClassTier;
  /** Graceful drain (SIGTERM): readiness 503, no new connections, clients moved off in batches. */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts one process: the realtime tier, the API and the workers (as `config.roles` says) on one HTTP
 * port, each part on the real service its URL names or on its embedded default. Logs are JSON lines
 * (pino, `config.logLevel`); tracing starts when `config.tracing` asks for it (app/tracing.ts).
 */
export async function startInterlinked(config: InterlinkedConfig): Promise<RunningInterlinked> {
  const closers: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  let draining = false;
  const log = createLogger({ nodeId: config.nodeId, level: config.logLevel });
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.error({ err }, "shutdown: a part failed to close"));
  };
  try {
    closers.push(await startTracing(config.tracing, config.nodeId, log));
    const metrics = createMetrics(config.nodeId);
    const infra = await openInfrastructure(config, log);
    closers.push(() => infra.close());
    const { bus, stores, redis } = infra;
    const tokens = new TokenService(config.auth);

    const limits = new TenantLimits(stores.tenants, log);
    // grace starts and refusals are recorded on the `quota` stream (quota_events)
    const quotaEvent = (tenant: string, data: QuotaEventData): void => {
      publishEvents(bus, "quota", [newEvent("quota.event", tenant, data)]).catch((err: unknown) => log.error({ err, tenant }, "quotas: quota event not published"));
    };
    const quotas = new TenantQuotas(limits, infra.state, redis?.command, `${config.namespace}:`, quotaEvent, Date.now, `${config.nodeId}/${randomUUID()}`);
    let realtime: RealtimeNode | undefined;
    let classes: ClassTier | undefined;
    if (config.roles.has("realtime")) {
      await prepareBus(bus, Object.values(streams).map((s) => s.topic), log);
      const services = {
        nodeId: config.nodeId,
        log,
        options: config.realtime,
        tokens,
        bus,
        // session events are fire-and-forget: a 100 ms linger makes a connect storm a few large Kafka batches,
        // packed per key (the presence stream is keyed by tenant: one packed record per school and flush)
        sessionEvents: new BatchingPublisher(bus, streams.presence.topic, 100, 2_000, { pack: true }),
        sequences: infra.sequences,
        presence: infra.presence,
        history: infra.history,
        state: infra.state,
        revocations: infra.revocations,
        quotas,
        metrics,
        connectStages: config.realtime.connectStageTiming ? connectStageTiming(metrics.registry) : undefined,
        stores,
      };
      realtime = createRealtimeNode(services, redis ? { pub: redis.pub, sub: redis.sub, key: redis.adapterKey, sharded: redis.sharded } : undefined);
      classes = await startClassTier(realtime, services, { media: config.media, keyPrefix: `${config.namespace}:`, redis: redis?.command, recording: config.recording ?? recordingOptionsFromEnv({}, config.dataDir), recordingStores: stores });
      const tier = classes;
      closers.push(() => tier.close());
    }

    // users' sockets on every node: through this process's Socket.IO (with the Redis adapter), else the Redis emitter
    const local = new LocalSocketFanout();
    if (realtime) local.attach(realtime.io);
    const fanout: SocketFanout = realtime || !redis ? local : new RedisSocketFanout(redis.command, redis.adapterKey, redis.sharded);
    if (config.roles.has("workers")) {
      const subscriptions = await startWorkers({ bus, writer: new EventWriter(infra.database.db), metrics, fanout, log, preferences: stores.notificationPreferences });
      closers.push(async () => {
        await Promise.allSettled(subscriptions.map((s) => s.close()));
      });
      const delivery = await startNotificationDelivery({
        bus,
        preferences: stores.notificationPreferences,
        deliveries: infra.deliveries,
        presence: infra.presence,
        options: config.notifications,
        redis: redis?.command,
        keyPrefix: `${config.namespace}:`,
        log,
        metrics,
      });
      closers.push(() => delivery.close());
      const webhooks = await startWebhooks({ bus, store: stores.webhooks, options: config.webhooks, metrics, log });
      closers.push(() => webhooks.close());
    }

    const nodeReports = openNodeReports(redis?.command, `${config.namespace}:`);
    const stopReporting = startNodeReporter({
      nodeId: config.nodeId,
      roles: [...config.roles],
      reports: nodeReports,
      io: realtime?.io,
      checks: infra.health,
      isDraining: () => draining,
      overloaded: async () => ((await metrics.nodeOverloaded.get()).values[0]?.value ?? 0) > 0,
      log,
    });
    closers.push(stopReporting);
    const deadLetters = config.roles.has("api") ? await openDeadLetters(bus, config) : undefined;
    if (deadLetters) closers.push(() => deadLetters.close());

    const app = createApi({
      tokens,
      health: infra.health,
      isDraining: () => draining,
      registry: metrics.registry,
      metrics,
      log,
      beforeScrape: config.roles.has("workers") ? () => collectConsumerLag(bus, metrics) : undefined,
      devTokens: config.devTokens,
      metricsToken: config.metricsToken,
      // deadLetters is open exactly when the process has the api role
      v1: deadLetters
        ? {
            tokens,
            // REST checks read through a per-node cache of at most 1 s (sockets read the store itself)
            revocations: new CachedRevocations(infra.revocations, 1_000),
            fanout,
            bus,
            metrics,
            stores,
            limiter: new TenantRateLimiter({ redis: redis?.command, keyPrefix: `${config.namespace}:api-rate:` }),
            limits,
            liveConnections: (tenant) => quotas.connectionCount(tenant),
            webhooksAllowPrivate: config.webhooks.allowPrivate,
            // the server API publishes through the realtime tier's path (sequence, quotas, history, fan-out)
            server: new RealtimeServerMessaging({
              publisher: new MessagePublisher(bus, infra.sequences, infra.history, undefined, log),
              quotas,
              presence: infra.presence,
              fanout,
              state: infra.state,
              conversations: stores.conversations,
              nodeId: config.nodeId,
              sockets: realtime ? async () => (await realtime.io.fetchSockets()) as LiveSocket[] : undefined,
            }),
            messagesThisSecond: (tenant) => quotas.messagesThisSecond(tenant),
            nodes: { list: () => nodeReports.list(), silentAfterMs: NODE_TTL_MS },
            deadLetters: deadLetters.letters,
          }
        : undefined,
    });
    // the browser pages (/classroom, /admin) in front of the API, on every engine
    const handler = serveWebPages(app.fetch, findWebRoot(import.meta.url));
    const http = config.realtime.stickyWorker
      ? await serveAsStickyWorker(handler, config.port, realtime?.io)
      : config.realtime.engine === "uws"
        ? await serveOnUws(handler, config.host, config.port, realtime?.io, config.realtime.fanoutBatchMs)
        : await serveOnNodeHttp(handler, config.host, config.port, realtime?.io, config.realtime.fanoutBatchMs);
    if (realtime && config.realtime.stickyRoute) applyStickyRoute(realtime.io, config.realtime.stickyRoute);
    if (realtime && redis) {
      // cut off from Redis: stop serving (no listener, readiness 503, sockets moved) until a beat gets through
      const node = realtime;
      infra.health.liveness = async () => !node.liveness.isolated;
      node.liveness.onChange((isolated) => {
        if (draining) return;
        if (isolated) {
          http.stopListening();
          const closed = isolateRealtime(node.io);
          log.error({ closed }, "realtime: liveness beat has not reached Redis: node isolated, not serving, sockets moved off");
        } else {
          rejoinRealtime(node.io);
          http.resumeListening();
          log.warn("realtime: liveness beat reaches Redis again: serving");
        }
      });
    }
    closers.push(async () => {
      if (realtime) await realtime.close();
      await http.close();
    });

    const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
    return {
      url: `http://${host}:${http.port}`,
      port: http.port,
      parts: {
        roles: [...config.roles].join(","),
        engine: config.realtime.engine === "uws" ? "uWebSockets.js" : "Node http + ws",
        database: infra.database.kind === "pglite" ? `PGlite in ${config.dataDir}/pglite` : "PostgreSQL",
        bus: config.kafkaBrokers ? `Kafka ${config.kafkaBrokers.join(",")}` : "in-memory bus",
        cluster: config.redisClusterNodes?.length ? "Redis Cluster (sharded adapter), presence, sequences, quotas" : config.redisUrl ? "Redis adapter, presence, sequences, quotas" : "single node (in-memory adapter and state)",
        devTokens: config.devTokens ? "POST /v1/dev/tokens enabled" : "off",
        pages: `http://${host}:${http.port}/classroom/ (live classroom), http://${host}:${http.port}/admin/ (console)`,
        media: classes?.media ? `mediasoup, ${config.media.workers} worker(s), hosts live classes` : "signaling only (classes on media nodes)",
      },
      bus,
      log,
      classes,
      drain: async (graceMs) => {
        if (draining) return;
        draining = true;
        http.stopListening();
        if (realtime) {
          const { connections } = await drainRealtime(realtime.io, { graceMs });
          log.info({ connections }, `drain: ${connections} connection(s) moved off ${config.nodeId}`);
        }
      },
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

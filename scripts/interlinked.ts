import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Redis } from "ioredis";
import { createApi } from "../api/create-api";
import { TenantRateLimiter } from "../api/rate-limit";
import type { HealthChecks } from "../api/routes/health";
import { TokenService } from "../core/auth";
import type { EventBus } from "../core/bus/event-bus";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import type { InterlinkedConfig } from "../core/config";
import { createMetrics } from "../core/metrics/registry";
import { openDatabase } from "../db/database";
import { EventWriter } from "../db/event-writer";
import { DrizzleRoomMessageStore } from "../db/room-message-store-drizzle";
import { ClassStore } from "../db/stores/classes";
import { ConversationStore } from "../db/stores/conversations";
import { FeedStore } from "../db/stores/feeds";
import { NotificationStore } from "../db/stores/notifications";
import { RoomStore } from "../db/stores/rooms";
import { TenantStore } from "../db/stores/tenants";
import { createRealtimeNode, type RealtimeNode } from "../realtime/create-realtime-node";
import type { SocketFanout } from "../realtime/fanout/socket-fanout";
import { LocalSocketFanout } from "../realtime/fanout/socket-fanout-local";
import { RedisSocketFanout } from "../realtime/fanout/socket-fanout-redis";
import { RoomMessagePublisher } from "../realtime/room-messages";
import type { SequenceStore } from "../realtime/sequence/sequence-store";
import { MemorySequenceStore } from "../realtime/sequence/sequence-store-memory";
import { RedisSequenceStore } from "../realtime/sequence/sequence-store-redis";
import { collectConsumerLag, startWorkers } from "../workers/start-workers";

/** A running Interlinked process: its HTTP address and how to stop it. */
export interface RunningInterlinked {
  url: string;
  port: number;
  /** What the process runs on, for the start banner. */
  parts: Record<string, string>;
  /** The event bus this process writes to (tools and tests publish through it). */
  bus: EventBus;
  close(): Promise<void>;
}

function redisClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  client.on("error", (err) => console.error("[redis]", err.message));
  return client;
}

function listen(app: { fetch: (req: Request) => Response | Promise<Response> }, config: InterlinkedConfig): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(server as HttpServer));
    server.once("error", reject);
  });
}

/**
 * Starts one process: the realtime tier, the API and the workers (as `config.roles` says) on one HTTP
 * port, each part on the real service its URL names or on its embedded default.
 */
export async function startInterlinked(config: InterlinkedConfig): Promise<RunningInterlinked> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => console.error("[shutdown]", err));
  };
  try {
    const metrics = createMetrics(config.nodeId);
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
    closers.push(() => database.close());
    if (config.migrateOnStart) await database.migrate();
    const messages = new DrizzleRoomMessageStore(database.db);

    const bus: EventBus = config.kafkaBrokers
      ? new KafkaEventBus({ brokers: config.kafkaBrokers, namespace: config.namespace, clientId: config.nodeId, publishTimeoutMs: config.kafkaPublishTimeoutMs })
      : new MemoryEventBus();
    closers.push(() => bus.close());
    const health: HealthChecks = { database: () => database.ping(), bus: () => bus.ping() };

    const seed = (key: string): Promise<number> => {
      const [tenant, room] = key.split(":") as [string, string];
      return messages.maxSeq(tenant, room);
    };
    let sequences: SequenceStore = new MemorySequenceStore(seed);
    let redis: { command: Redis; adapter: { pub: Redis; sub: Redis; key: string } } | undefined;
    const localFanout = new LocalSocketFanout();
    let fanout: SocketFanout = localFanout;
    if (config.redisUrl) {
      const [command, pub, sub] = [redisClient(config.redisUrl), redisClient(config.redisUrl), redisClient(config.redisUrl)];
      closers.push(async () => [command, pub, sub].forEach((c) => c.disconnect()));
      health.redis = async () => (await command.ping()) === "PONG";
      sequences = new RedisSequenceStore(command, `${config.namespace}:`, seed);
      redis = { command, adapter: { pub, sub, key: `${config.namespace}#socket.io` } };
      if (!config.roles.has("realtime")) fanout = new RedisSocketFanout(command, redis.adapter.key);
    }

    if (config.roles.has("workers")) {
      const subscriptions = await startWorkers({ bus, writer: new EventWriter(database.db), metrics, fanout });
      closers.push(async () => {
        await Promise.allSettled(subscriptions.map((s) => s.close()));
      });
    }

    const tokens = new TokenService(config.auth);
    const app = createApi({
      tokens,
      health,
      registry: metrics.registry,
      metrics,
      beforeScrape: config.roles.has("workers") ? () => collectConsumerLag(bus, metrics) : undefined,
      devTokens: config.devTokens,
      v1: config.roles.has("api")
        ? {
            tokens,
            bus,
            metrics,
            limiter: new TenantRateLimiter({ redis: redis?.command, keyPrefix: `${config.namespace}:api-rate:` }),
            stores: {
              messages,
              rooms: new RoomStore(database.db),
              conversations: new ConversationStore(database.db),
              notifications: new NotificationStore(database.db),
              feeds: new FeedStore(database.db),
              classes: new ClassStore(database.db),
              tenants: new TenantStore(database.db),
            },
          }
        : undefined,
    });
    const server = await listen(app, config);
    let realtime: RealtimeNode | undefined;
    if (config.roles.has("realtime")) {
      realtime = createRealtimeNode(server, config.realtime, { tokens, publisher: new RoomMessagePublisher(bus, sequences), adapter: redis?.adapter });
      localFanout.attach(realtime.io);
    }
    closers.push(async () => {
      if (realtime) await realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const port = (server.address() as AddressInfo).port;
    const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
    return {
      url: `http://${host}:${port}`,
      port,
      parts: {
        roles: [...config.roles].join(","),
        database: database.kind === "pglite" ? `PGlite in ${config.dataDir}/pglite` : "PostgreSQL",
        bus: config.kafkaBrokers ? `Kafka ${config.kafkaBrokers.join(",")}` : "in-memory bus",
        cluster: config.redisUrl ? "Redis adapter + Redis sequences" : "single node (in-memory adapter)",
        devTokens: config.devTokens ? "POST /v1/dev/tokens enabled" : "off",
      },
      bus,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

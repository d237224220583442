import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Server as HttpServer } from "node:http";
import { Redis } from "ioredis";
import { createApi } from "../api/create-api";
import type { HealthChecks } from "../api/routes-health";
import { TokenService } from "../core/auth";
import type { EventBus, Subscription } from "../core/bus/event-bus";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import type { InterlinkedConfig } from "../core/config";
import { openDatabase } from "../db/database";
import { DrizzleRoomMessageStore } from "../db/room-message-store-drizzle";
import { createRealtimeNode, type RealtimeNode } from "../realtime/create-realtime-node";
import { RoomMessagePublisher } from "../realtime/room-messages";
import type { SequenceStore } from "../realtime/sequence/sequence-store";
import { MemorySequenceStore } from "../realtime/sequence/sequence-store-memory";
import { RedisSequenceStore } from "../realtime/sequence/sequence-store-redis";
import { startRoomMessagePersister } from "../workers/room-message-persister";

/** A running Interlinked process: its HTTP address and how to stop it. */
export interface RunningInterlinked {
  url: string;
  port: number;
  /** What the process runs on, for the start banner. */
  parts: Record<string, string>;
  close(): Promise<void>;
}

function redisClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  client.on("error", (err) => console.error("[redis]", err.message));
  return client;
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
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
    closers.push(() => database.close());
    if (config.migrateOnStart) await database.migrate();
    const store = new DrizzleRoomMessageStore(database.db);

    const bus: EventBus = config.kafkaBrokers
      ? new KafkaEventBus({ brokers: config.kafkaBrokers, namespace: config.namespace, clientId: config.nodeId })
      : new MemoryEventBus();
    closers.push(() => bus.close());

    const health: HealthChecks = { database: () => database.ping(), bus: () => bus.ping() };
    const seed = (key: string): Promise<number> => {
      const [tenant, room] = key.split(":") as [string, string];
      return store.maxSeq(tenant, room);
    };
    let sequences: SequenceStore = new MemorySequenceStore(seed);
    let adapter: { pub: Redis; sub: Redis; key: string } | undefined;
    if (config.redisUrl) {
      const [command, pub, sub] = [redisClient(config.redisUrl), redisClient(config.redisUrl), redisClient(config.redisUrl)];
      closers.push(async () => [command, pub, sub].forEach((c) => c.disconnect()));
      health.redis = async () => (await command.ping()) === "PONG";
      sequences = new RedisSequenceStore(command, `${config.namespace}:`, seed);
      adapter = { pub, sub, key: `${config.namespace}#socket.io` };
    }

    if (config.roles.has("workers")) {
      const subscription: Subscription = await startRoomMessagePersister(bus, store);
      closers.push(() => subscription.close());
    }

    const tokens = new TokenService(config.auth);
    const app = createApi({ tokens, health, devTokens: config.devTokens, messages: config.roles.has("api") ? store : undefined });
    const server = await new Promise<HttpServer>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as HttpServer));
      s.once("error", reject);
    });
    let realtime: RealtimeNode | undefined;
    if (config.roles.has("realtime")) {
      realtime = createRealtimeNode(server, config.realtime, { tokens, publisher: new RoomMessagePublisher(bus, sequences), adapter });
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
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

import { batchedSeed } from "../realtime/sequence/batched-seed";
import type { HealthChecks } from "../api/routes/health";
import type { EventBus } from "../core/bus/event-bus";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import { authDefaults, type InterlinkedConfig } from "../core/config";
import type { Logger } from "../core/log";
import type { RevocationStore } from "../core/revocation/revocation-store";
import { MemoryRevocationStore } from "../core/revocation/revocation-store-memory";
import { RedisRevocationStore } from "../core/revocation/revocation-store-redis";
import { openDatabase, type DatabaseHandle } from "../db/database";
import { DrizzleRoomMessageStore } from "../db/room-message-store-drizzle";
import { ClassStore } from "../db/stores/classes";
import { RecordingStore } from "../db/stores/recordings";
import { recordingOptionsFromEnv, type RecordingOptions } from "../core/recording-config";
import type { RecordingStorage } from "../core/recording-storage";
import { LocalRecordingStorage } from "../db/recordings/recording-storage-local";
import { S3RecordingStorage } from "../db/recordings/recording-storage-s3";
import { ConversationStore } from "../db/stores/conversations";
import { FeedStore } from "../db/stores/feeds";
import { NotificationStore } from "../db/stores/notifications";
import { NotificationDeliveryStore } from "../db/stores/notification-deliveries";
import { NotificationPreferenceStore } from "../db/stores/notification-preferences";
import { RoomStore } from "../db/stores/rooms";
import { TenantStore, defaultQuotas } from "../db/stores/tenants";
import { WebhookStore } from "../db/stores/webhooks";
import { ApiKeyStore } from "../db/stores/api-keys";
import type { Stores } from "../api/deps";
import { MemoryPresenceStore } from "../realtime/presence/presence-store-memory";
import { RedisPresenceStore } from "../realtime/presence/presence-store-redis";
import type { PresenceStore } from "../realtime/presence/presence-store";
import { openRedisConnections, type RedisConnections } from "./redis-connections";
import { NODE_TTL_MS } from "../realtime/node-liveness";
import type { SequenceStore } from "../realtime/sequence/sequence-store";
import { MemorySequenceStore } from "../realtime/sequence/sequence-store-memory";
import { RedisSequenceStore } from "../realtime/sequence/sequence-store-redis";
import type { HistoryStore } from "../realtime/state/history-store";
import { MemoryHistoryStore } from "../realtime/state/history-store-memory";
import { RedisHistoryStore } from "../realtime/state/history-store-redis";
import type { KeyedState } from "../realtime/state/keyed-state";
import { MemoryKeyedState } from "../realtime/state/keyed-state-memory";
import { RedisKeyedState } from "../realtime/state/keyed-state-redis";

/** The shared parts of a process, each on its real service or its embedded default. */
export interface Infrastructure {
  database: DatabaseHandle;
  stores: Stores;
  /** Outbound notification deliveries (workers). */
  deliveries: NotificationDeliveryStore;
  bus: EventBus;
  /** Redis connections when REDIS_URL or REDIS_CLUSTER_NODES is set: commands, and the adapter's pub/sub pair. */
  redis?: RedisConnections;
  sequences: SequenceStore;
  presence: PresenceStore;
  history: HistoryStore;
  state: KeyedState;
  /** Users' token revocation moments, kept max(AUTH_REVOCATION_RETENTION, AUTH_TOKEN_TTL) after each moment. */
  revocations: RevocationStore;
  health: HealthChecks;
  close(): Promise<void>;
}

/** The recording storage the options name: a local directory, or an S3-compatible bucket. */
function openRecordingStorage(options: RecordingOptions): RecordingStorage {
  return options.storage === "s3" && options.s3 ? new S3RecordingStorage({ ...options.s3 }) : new LocalRecordingStorage(options.dir);
}

export async function openInfrastructure(config: InterlinkedConfig, log: Logger): Promise<Infrastructure> {
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl, log } : { dataDir: `${config.dataDir}/pglite`, log });
  try {
    if (config.migrateOnStart) await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  const stores: Stores = {
    messages: new DrizzleRoomMessageStore(database.db),
    rooms: new RoomStore(database.db),
    conversations: new ConversationStore(database.db),
    notifications: new NotificationStore(database.db),
    notificationPreferences: new NotificationPreferenceStore(database.db),
    notificationDeliveries: new NotificationDeliveryStore(database.db),
    feeds: new FeedStore(database.db),
    classes: new ClassStore(database.db),
    recordings: new RecordingStore(database.db),
    recordingFiles: openRecordingStorage(config.recording ?? recordingOptionsFromEnv({}, config.dataDir)),
    tenants: new TenantStore(database.db, { ...defaultQuotas, maxPayloadBytes: config.realtime.maxMessageBytes }),
    webhooks: new WebhookStore(database.db),
    apiKeys: new ApiKeyStore(database.db),
  };
  const bus: EventBus = config.kafkaBrokers
    ? new KafkaEventBus({
        brokers: config.kafkaBrokers,
        namespace: config.namespace,
        clientId: config.nodeId,
        publishTimeoutMs: config.kafkaPublishTimeoutMs,
        consumerMaxWaitMs: config.kafkaConsumerMaxWaitMs ?? 5_000,
        commitIntervalMs: config.kafkaCommitIntervalMs ?? 1_000,
        replicationFactor: config.kafkaReplicationFactor ?? 1,
        minInsyncReplicas: config.kafkaMinInsyncReplicas ?? 1,
        log,
      })
    : new MemoryEventBus({ log });
  const health: HealthChecks = { database: () => database.ping(), bus: () => bus.ping() };
  /** A new sequence key continues after what is stored (a school's rooms read together: realtime/sequence/batched-seed.ts). */
  const seed = batchedSeed(
    (tenant, rooms) => stores.messages.maxSeqs(tenant, rooms),
    (tenant, conversation) => stores.conversations.maxSeq(tenant, conversation),
  );
  const prefix = `${config.namespace}:`;
  const redis = openRedisConnections(config, log);
  if (redis) {
    const command = redis.command;
    health.redis = async () => (await command.ping()) === "PONG";
  }
  const r = redis?.command;
  const retentionMs = Math.max(config.auth.revocationRetentionSeconds ?? authDefaults.revocationRetentionSeconds, config.auth.tokenTtlSeconds) * 1000;
  return {
    database,
    stores,
    deliveries: stores.notificationDeliveries,
    bus,
    redis,
    health,
    sequences: r ? new RedisSequenceStore(r, prefix, seed, redis?.sharded ? 1 : 0) : new MemorySequenceStore(seed),
    presence: r ? new RedisPresenceStore(r, prefix, NODE_TTL_MS, redis?.liveness) : new MemoryPresenceStore(NODE_TTL_MS),
    history: r ? new RedisHistoryStore(r, prefix) : new MemoryHistoryStore(),
    state: r ? new RedisKeyedState(r, prefix) : new MemoryKeyedState(),
    revocations: r ? new RedisRevocationStore(r, prefix, retentionMs) : new MemoryRevocationStore(retentionMs),
    close: async () => {
      await bus.close().catch(() => undefined);
      redis?.close();
      stores.recordingFiles.close?.();
      await database.close();
    },
  };
}

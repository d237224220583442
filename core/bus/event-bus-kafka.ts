import { Kafka, Partitioners, logLevel, type Admin, type IHeaders, type LogEntry, type Message, type PartitionMetadata, type Producer } from "kafkajs";
import { AppError, ErrorCode } from "../errors";
import { defaultLogger, type Logger } from "../log";
import { Attr, SpanKind, inSpan, injectContext } from "../tracing";
import type { BusRecord, EventBus, SubscribeOptions, Subscription } from "./event-bus";
import { stopKafkajsIdleLoop } from "./kafkajs-idle-loop";
import { useFastKafkaCrc32c } from "./kafka-crc32c";
import { OffsetCommitter } from "./offset-committer";
import { PartitionSender } from "./partition-sender";

export interface KafkaEventBusOptions {
  brokers: string[];
  /** Prefix of every topic and consumer group name, e.g. "il". */
  namespace: string;
  clientId: string;
  /** Partitions of topics this bus creates. Default 6. */
  partitions: number;
  /** Replication factor of topics this bus creates. Default 1 (single broker); 3 on a replicated cluster. */
  replicationFactor: number;
  /**
   * `min.insync.replicas` of topics this bus creates: an acks=all write is acknowledged only once this
   * many replicas (leader included) hold it, else refused (NOT_ENOUGH_REPLICAS, retried until the publish
   * timeout). Default 1; 2 with replication factor 3, so one broker may be lost without losing an acked record.
   */
  minInsyncReplicas: number;
  /** How long a publish may wait for the brokers (retrying) before it is refused, ms. Default 30,000. */
  publishTimeoutMs: number;
  /**
   * How long a subscription's fetch waits at the broker for new records when there are none, ms (kafkajs
   * `maxWaitTimeInMs`). Default 5,000. Closing a subscription waits for its fetch in flight, so this is
   * also how long a stop of an idle consumer can take; shorter makes idle consumers ask more often.
   */
  consumerMaxWaitMs: number;
  /**
   * How often a subscription commits the offsets it handled, ms (core/bus/offset-committer.ts); 0 commits
   * after each batch (kafkajs's own). Default 1,000. A closing subscription commits what it handled first;
   * a process that dies has the records handled since its last commit delivered again (at least once).
   */
  commitIntervalMs: number;
  /** Partitions whose batches a subscription handles at once (order holds within each). Default 4. */
  partitionsConsumedConcurrently: number;
  /** Records that may wait for the brokers at once; past it publish is refused at once. Default 10,000. */
  maxPendingRecords: number;
  /**
   * Idempotent producers the sends are spread over, partition p through producer p mod this (created on
   * first use; each holds a connection per broker). kafkajs's idempotent producer sends one request at a
   * time per broker, so two partitions with one leader share its round trips unless their producers
   * differ. Default: `partitions` (each partition of this bus's topics has a producer of its own).
   */
  producers?: number;
  /** kafkajs log level: "warn" (default) or "none". */
  logLevel: "warn" | "none";
  /** Where kafkajs's own records go (as `component: "kafkajs"`). Default: the process's fallback logger. */
  log?: Logger;
}

export const kafkaDefaults = { partitions: 6, replicationFactor: 1, minInsyncReplicas: 1, publishTimeoutMs: 30_000, maxPendingRecords: 10_000, partitionsConsumedConcurrently: 4, consumerMaxWaitMs: 5_000, commitIntervalMs: 1_000, logLevel: "warn" as const };

/** Attempts to create (or see) a topic while the brokers' metadata converges, 250 ms apart. */
const TOPIC_ATTEMPTS = 40;

/** Kafka record headers as strings (the trace context); undefined when there are none. */
function stringHeaders(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(headers)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value === undefined) continue;
    (out ??= {})[k] = typeof value === "string" ? value : value.toString("utf8");
  }
  return out;
}

/** kafkajs's records written by a pino logger, at the same level, with kafkajs's fields. */
function kafkaLogs(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry): void => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      const record = { component: "kafkajs", namespace, ...fields };
      if (level === logLevel.ERROR) log.error(record, `kafkajs: ${message}`);
      else if (level === logLevel.WARN) log.warn(record, `kafkajs: ${message}`);
      else if (level === logLevel.INFO) log.info(record, `kafkajs: ${message}`);
      else log.debug(record, `kafkajs: ${message}`);
    };
}

/**
 * EventBus on Apache Kafka (kafkajs): idempotent producers (one request in flight, so retries neither
 * duplicate nor reorder; one per partition by default, so partitions led by one broker do not wait for
 * each other) driven by a PartitionSender (one send at a time per partition, a new producer id after a
 * failed send: an acknowledged record is a stored record, also when a leader dies), acks=all, key-partitioned topics created on first use with the configured
 * replication factor and `min.insync.replicas`, one kafkajs consumer per subscription with offsets
 * committed after the handler resolves (at-least-once: consumers are idempotent on the event id).
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly options: KafkaEventBusOptions;
  private readonly sender: PartitionSender;
  private admin: Promise<Admin> | undefined;
  private readonly ensured = new Map<string, Promise<void>>();
  /** Each ensured topic's partitions (their count decides a key's partition). */
  private readonly partitions = new Map<string, PartitionMetadata[]>();
  private readonly partitionOf = Partitioners.DefaultPartitioner();
  /** Each open subscription's close (the bus's close closes them: their handled offsets committed first). */
  private readonly subscriptions = new Set<() => Promise<void>>();
  private pending = 0;

  constructor(options: Partial<KafkaEventBusOptions> & Pick<KafkaEventBusOptions, "brokers" | "namespace" | "clientId">) {
    this.options = { ...kafkaDefaults, ...options };
    stopKafkajsIdleLoop(); // kafkajs 2.2.4 wakes the loop every 1 ms per idle connection (see the function)
    if (useFastKafkaCrc32c() === "too-late") (this.options.log ?? defaultLogger()).warn("kafka: record batches keep kafkajs' own CRC-32C loop (its encoder loaded first)");
    this.kafka = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      logLevel: this.options.logLevel === "none" ? logLevel.NOTHING : logLevel.WARN,
      logCreator: kafkaLogs(this.options.log ?? defaultLogger()),
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3_000 },
      connectionTimeout: 3_000,
    });
    this.sender = new PartitionSender(() => this.connectProducer(), this.options.log ?? defaultLogger(), this.options.producers ?? this.options.partitions);
  }

  /** The Kafka topic name behind a bus topic. */
  topicName(topic: string): string {
    return `${this.options.namespace}.${topic}`;
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  private async connectProducer(): Promise<Producer> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return producer;
  }

  /** Creates the topic if missing (idempotent, once per process). */
  ensureTopic(topic: string): Promise<void> {
    const name = this.topicName(topic);
    let done = this.ensured.get(name);
    if (!done) {
      done = (async () => {
        const admin = await this.getAdmin();
        // on several brokers a new topic's metadata reaches each broker a moment apart: a broker asked
        // before it knows the topic answers UNKNOWN_TOPIC_OR_PARTITION (retriable), so ask again
        for (let attempt = 1; ; attempt++) {
          try {
            if (!(await admin.listTopics()).includes(name)) {
              await admin.createTopics({
                waitForLeaders: true,
                topics: [
                  {
                    topic: name,
                    numPartitions: this.options.partitions,
                    replicationFactor: this.options.replicationFactor,
                    configEntries: [{ name: "min.insync.replicas", value: String(this.options.minInsyncReplicas) }],
                  },
                ],
              });
            }
            const meta = await admin.fetchTopicMetadata({ topics: [name] });
            const partitions = meta.topics[0]?.partitions ?? [];
            // listed is not usable yet: a topic another process has just created may still be electing
            // its leaders ("This server does not host this topic-partition" for whoever uses it first)
            if (partitions.length === 0 || partitions.some((p) => p.leader < 0)) throw Object.assign(new Error(`topic ${name}: partitions without a leader`), { retriable: true });
            this.partitions.set(name, partitions);
            return;
          } catch (err) {
            if (attempt >= TOPIC_ATTEMPTS || (err as { retriable?: boolean }).retriable !== true) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      })().catch((err: unknown) => {
        this.ensured.delete(name);
        throw err;
      });
      this.ensured.set(name, done);
    }
    return done;
  }

  async prepare(topics: string[]): Promise<void> {
    try {
      await Promise.all(topics.map((t) => this.ensureTopic(t)));
      const names = topics.map((t) => this.topicName(t));
      await this.sender.prepare(names, Math.max(0, ...names.map((n) => this.partitions.get(n)?.length ?? 0)));
    } catch (err) {
      throw new AppError(ErrorCode.Unavailable, "event bus unavailable", { cause: err });
    }
  }

  /**
   * Sends the records in a `publish <topic>` producer span; each record carries the trace context it was
   * created in (its `headers`) or else this span's, as W3C `traceparent` / `tracestate` record headers.
   */
  async publish(topic: string, records: BusRecord[]): Promise<void> {
    if (this.pending + records.length > this.options.maxPendingRecords) {
      throw new AppError(ErrorCode.Unavailable, `event bus backlog full (${this.pending} records waiting for Kafka)`);
    }
    const name = this.topicName(topic);
    const attributes = { [Attr.messagingSystem]: "kafka", [Attr.messagingDestination]: name, [Attr.messagingOperationType]: "send", [Attr.messagingBatchCount]: records.length };
    await inSpan(`publish ${name}`, { kind: SpanKind.PRODUCER, attributes }, async () => {
      const here = injectContext();
      this.pending += records.length;
      let timer: NodeJS.Timeout | undefined;
      let refused = false;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          refused = true;
          reject(new Error(`Kafka did not acknowledge within ${this.options.publishTimeoutMs} ms`));
        }, this.options.publishTimeoutMs);
      });
      try {
        const send = (async () => {
          await this.ensureTopic(topic);
          const messages = records.map((r): Message => {
            const headers = r.headers ?? here;
            return headers ? { key: r.key, value: r.value, headers } : { key: r.key, value: r.value };
          });
          // one send per partition, one at a time per partition (PartitionSender: kafkajs's sequence
          // numbers would otherwise let a broker answer a batch as a duplicate of another, unwritten)
          const partitionMetadata = this.partitions.get(name) ?? [];
          if (partitionMetadata.length === 0) throw new Error(`topic ${name}: no partitions known`);
          const byPartition = new Map<number, Message[]>();
          for (const message of messages) {
            const partition = this.partitionOf({ topic: name, partitionMetadata, message });
            const group = byPartition.get(partition) ?? [];
            group.push(message);
            byPartition.set(partition, group);
          }
          const timeoutMs = Math.min(this.options.publishTimeoutMs, 30_000);
          const abandoned = (): boolean => refused;
          await Promise.all([...byPartition].map(([partition, group]) => this.sender.send({ topic: name, partition, messages: group, timeoutMs, abandoned })));
        })();
        send.catch(() => undefined);
        await Promise.race([send, deadline]);
      } catch (err) {
        throw new AppError(ErrorCode.Unavailable, "event bus unavailable", { cause: err });
      } finally {
        clearTimeout(timer);
        this.pending -= records.length;
      }
    });
  }

  async consumerLag(group: string, topic: string): Promise<number> {
    const admin = await this.getAdmin();
    const name = this.topicName(topic);
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(name),
      admin.fetchOffsets({ groupId: `${this.options.namespace}.${group}`, topics: [name] }),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce((lag, p) => {
      const at = done.get(p.partition) ?? -1;
      return lag + Number(p.high) - (at < 0 ? Number(p.low) : at);
    }, 0);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.ensureTopic(options.topic);
    const log = this.options.log ?? defaultLogger();
    const groupId = `${this.options.namespace}.${options.group}`;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: this.options.consumerMaxWaitMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts a consumer that crashed (a handler that failed past its 5 retries: a worker while
      // PostgreSQL is down) after a pause; not one whose subscription is closing. A close that met the
      // crash's own stop used to be undone by that restart: the consumer ran on after its close.
      retry: { retries: 5, restartOnFailure: async () => !closing },
    });
    const committer =
      this.options.commitIntervalMs > 0
        ? new OffsetCommitter((offsets) => consumer.commitOffsets(offsets), this.options.commitIntervalMs, (err) => log.debug({ err, group: groupId }, "kafka: offset commit failed; the next one retries it"))
        : undefined;
    let closing = false;
    /** A consumer kafkajs restarted after the close began (its restart was under way): none of its batches is handled. */
    let stale = false;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        // a restart already under way when the subscription closed joins after the close's stop: stop it too
        if (closing) {
          stale = true;
          return void consumer.disconnect().catch(() => undefined);
        }
        committer?.keepOnly(payload.memberAssignment);
        resolve();
      });
    });
    const close = async (): Promise<void> => {
      this.subscriptions.delete(close);
      closing = true;
      committer?.stop();
      await committer?.flush().catch((err: unknown) => log.warn({ err, group: groupId }, "kafka: offsets not committed at close; their records will be delivered again"));
      await consumer.disconnect();
      stale = true;
    };
    this.subscriptions.add(close); // a bus closed while this subscription starts closes it too
    try {
      await consumer.connect();
      // a broker the consumer asks may not know a topic created a moment ago (UNKNOWN_TOPIC_OR_PARTITION,
      // retriable): a worker starting on a fresh cluster died of it; ask again as ensureTopic does
      for (let attempt = 1; ; attempt++) {
        try {
          await consumer.subscribe({ topics: [this.topicName(options.topic)], fromBeginning: true });
          break;
        } catch (err) {
          if (attempt >= TOPIC_ATTEMPTS || (err as { retriable?: boolean }).retriable !== true) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await consumer.run({
        // batches of different partitions are handled concurrently; each partition stays in order
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
        eachBatchAutoResolve: true,
        autoCommit: committer === undefined,
        eachBatch: async ({ batch, heartbeat }) => {
          // a batch of a consumer restarted behind the close's back is not handled (nor its offsets committed)
          if (stale) throw new Error(`subscription ${groupId} is closed`);
          const records: BusRecord[] = batch.messages.map((m) => {
            const record: BusRecord = { key: m.key?.toString("utf8") ?? "", value: m.value?.toString("utf8") ?? "" };
            const headers = stringHeaders(m.headers);
            if (headers) record.headers = headers;
            return record;
          });
          if (records.length > 0) await options.handler(records);
          if (committer) {
            committer.handled(batch.topic, batch.partition, batch.lastOffset());
            // a batch that ends while the subscription closes commits itself (the consumer is about to stop)
            if (closing) await committer.flush().catch((err: unknown) => log.warn({ err, group: groupId }, "kafka: offsets of the last batch not committed; its records will be delivered again"));
          }
          await heartbeat();
        },
      });
    } catch (err) {
      this.subscriptions.delete(close);
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    committer?.start();
    await joined;
    return { close };
  }

  /** Whether a broker answers within 2 s. */
  async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const check = (async () => {
      const admin = await this.getAdmin();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    })().catch(() => false);
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2_000)));
    const up = await Promise.race([check, timeout]);
    clearTimeout(timer);
    return up;
  }

  /** Disconnects consumers, the producer and the admin; a connection still being retried is given up after 1 s. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((close) => close()));
    const disconnect = (client: Promise<Admin> | undefined): Promise<unknown> =>
      Promise.race([client?.then((c) => c.disconnect()).catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())]);
    await Promise.all([this.sender.close(), disconnect(this.admin)]);
  }
}

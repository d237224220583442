/** One record on the bus: `key` orders records (same key → same partition → same order). */
export interface BusRecord {
  key: string;
  /** JSON text of a versioned event (core/events.ts). */
  value: string;
  /**
   * Metadata that travels with the record (Kafka record headers): the W3C trace context
   * (`traceparent`, `tracestate`) of the span that produced it, when tracing is on. A record published
   * without one gets the publisher's active context.
   */
  headers?: Record<string, string>;
}

export interface SubscribeOptions {
  /** Consumer group: each group receives every record once it is subscribed (from the earliest kept). */
  group: string;
  topic: string;
  /** Called with batches of records of one key-ordered stream. A batch counts as consumed only when this resolves. */
  handler: (records: BusRecord[]) => Promise<void>;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * A durable, key-ordered event stream between the realtime tier, the API and the workers.
 *
 * Guarantees:
 * - `publish` resolves only once every record is durable: for Kafka, acknowledged by all in-sync
 *   replicas (acks=all, idempotent producer); for the in-memory bus, handled by every subscribed group.
 *   When it rejects (AppError 5001, temporary) the caller must not report the records as accepted.
 *   Writes waiting for the bus are bounded; past the bound `publish` rejects at once with 5001.
 * - Delivery to each group is at least once and in order per key; consumers must be idempotent.
 */
export interface EventBus {
  publish(topic: string, records: BusRecord[]): Promise<void>;
  /**
   * Readies `topics` for publishing, so that a process's first publish to each waits no longer than later
   * ones: for Kafka the topics exist (created if missing), their metadata is loaded and every producer is
   * connected. Calling it is optional: publish does the same on first use. It rejects (AppError 5001) when
   * the bus cannot be reached; later publishes then do it themselves.
   */
  prepare(topics: string[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Records of `topic` not yet consumed by `group` (exported as the consumer-lag metric). */
  consumerLag(group: string, topic: string): Promise<number>;
  /** True when the bus can accept writes now (used by /health/ready). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

import type { BusRecord, EventBus, Subscription } from "../core/bus/event-bus";
import { DEAD_LETTER_TOPIC, streams, type DeadLetter, type StreamEvent, type StreamName } from "../core/contracts/streams";
import { AppError } from "../core/errors";
import { defaultLogger, type Logger } from "../core/log";
import type { Metrics } from "../core/metrics/registry";
import { retrying } from "../core/retry";
import { Attr, SpanKind, extractContext, inSpan, linksOf } from "../core/tracing";
import { isRetriableDbError } from "../db/errors";
import type { EventWriter } from "../db/event-writer";
import { parseRecords } from "./parse-records";

export interface StreamConsumerOptions<S extends StreamName> {
  bus: EventBus;
  stream: S;
  writer: EventWriter;
  metrics: Metrics;
  /** Called after events are durably written (e.g. notification fan-out). */
  afterWrite?: (events: StreamEvent<S>[]) => void;
  /** Attempts per write before giving the batch back to the bus. Default 6 (~3 s of backoff). */
  attempts?: number;
  /** The worker's logger (dead letters are logged here). Default: the process's fallback logger. */
  log?: Logger;
}

/** Why a record can never be written: refused by our own code (AppError, e.g. no writer) or by the database. */
function reasonOf(err: unknown): string {
  if (err instanceof AppError) return `not writable: ${err.message}`;
  return `refused by the database: ${err instanceof Error ? err.message : String(err)}`;
}

/** The consumer group of a stream's persisting worker. */
export const persisterGroup = (stream: StreamName): string => `persist-${stream}`;

/**
 * Persists one stream: validates each record, writes the batch (idempotent, retried with backoff on
 * retriable errors), and sends what can never be written (invalid, or refused by the database for its
 * content, or of an event type without a writer: permanent errors) to the dead-letter topic with the reason, so one poison record does not block its partition.
 * A batch that still fails on retriable errors is rejected and redelivered by the bus.
 *
 * Each batch is handled in a `process <topic>` consumer span: child of the trace context of the batch's
 * first traced record (so one message's trace runs from the socket event to the database write) and
 * linked to the other records' producer spans. Stored events feed the end-to-end delivery histogram.
 */
export function startStreamConsumer<S extends StreamName>(options: StreamConsumerOptions<S>): Promise<Subscription> {
  const { bus, stream, writer, metrics } = options;
  const log = (options.log ?? defaultLogger()).child({ stream });
  const topic = streams[stream].topic;
  const group = persisterGroup(stream);
  const deadLetter = async (items: Array<{ record: BusRecord; reason: string; tenant?: string }>): Promise<void> => {
    if (items.length === 0) return;
    const at = new Date().toISOString();
    await bus.publish(
      DEAD_LETTER_TOPIC,
      items.map(({ record, reason }) => {
        const letter: DeadLetter = { topic, key: record.key, value: record.value, reason, at };
        return { key: record.key, value: JSON.stringify(letter) };
      }),
    );
    // Everything on a stream was acked by the edge that published it: a dead letter is an acked record lost.
    metrics.workerEvents.inc({ stream, outcome: "dead_lettered" }, items.length);
    metrics.ackedLost.inc({ stream }, items.length);
    for (const { record, reason, tenant } of items) {
      log.error({ tenant, key: record.key, reason, ackedLost: true }, "worker: ACKED RECORD LOST — dead-lettered; fix the cause, then replay it with npm run dlq");
    }
  };
  const write = (events: StreamEvent<S>[]): Promise<void> =>
    retrying(() => writer.write(stream, events), {
      attempts: options.attempts ?? 6,
      baseMs: 100,
      maxMs: 1_600,
      isRetriable: isRetriableDbError,
      onRetry: () => metrics.workerRetries.inc({ stream }),
    });

  const handle = async (records: BusRecord[]): Promise<void> => {
    const timer = metrics.workerBatchSeconds.startTimer({ stream });
    const { valid, invalid } = parseRecords(stream, records);
    await deadLetter(invalid);
    const stored: StreamEvent<S>[] = [];
    try {
      await write(valid.map((v) => v.event));
      stored.push(...valid.map((v) => v.event));
    } catch (err) {
      if (isRetriableDbError(err)) throw err;
      // Something in the batch is refused for its content: write one by one to find it.
      const poison: Array<{ record: BusRecord; reason: string; tenant?: string }> = [];
      for (const item of valid) {
        try {
          await write([item.event]);
          stored.push(item.event);
        } catch (itemErr) {
          if (isRetriableDbError(itemErr)) throw itemErr;
          poison.push({ record: item.record, tenant: item.event.tenant, reason: reasonOf(itemErr) });
        }
      }
      await deadLetter(poison);
    }
    metrics.workerEvents.inc({ stream, outcome: "stored" }, stored.length);
    timer();
    const now = Date.now();
    for (const ev of stored) metrics.deliverySeconds.observe({ stream }, Math.max(0, now - Date.parse(ev.at)) / 1000);
    if (stored.length > 0) options.afterWrite?.(stored);
  };

  return bus.subscribe({
    group,
    topic,
    handler: (records) => {
      const traced = records.find((r) => r.headers?.traceparent);
      const attributes = {
        [Attr.messagingDestination]: topic,
        [Attr.messagingOperationType]: "process",
        [Attr.messagingConsumerGroup]: group,
        [Attr.messagingBatchCount]: records.length,
        [Attr.stream]: stream,
      };
      const parent = extractContext(traced?.headers);
      return inSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, attributes, parent, links: linksOf(records.map((r) => r.headers), parent) }, () => handle(records));
    },
  });
}

import type { Message, Producer } from "kafkajs";
import type { Logger } from "../log";

/** One partition's records for `PartitionSender.send`. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: Message[];
  /** The brokers' acks timeout of the produce request, ms. */
  timeoutMs: number;
  /** Checked when the batch's turn comes: true (its publish was already refused) and it is not sent. */
  abandoned?: () => boolean;
}

/**
 * Sends through kafkajs's idempotent producer so that an acknowledged batch is a stored batch.
 *
 * Why: kafkajs 2.2.4 (`producer/sendMessages.js`) takes a batch's sequence numbers from a per-partition
 * counter under a per-*broker* lock and, when the produce request fails, rewinds the counter by the
 * batch's size. A request that fails by a lost connection or a timeout (a leader killed mid-request) may
 * nevertheless have been written and replicated: the rewound numbers are then given to the *next* batch
 * of that partition, and the new leader, which holds a batch with exactly those numbers, answers it as a
 * duplicate — success, with the earlier batch's offset — without writing it. That batch is acknowledged
 * and lost; the failed one, retried with later numbers, is written twice. Concurrent sends of one
 * partition make it likely (several wait for the new leader; the first served takes the rewound numbers),
 * and equal batch sizes make the numbers match exactly.
 *
 * Guarantees:
 * - one send at a time per topic-partition, in call order: a batch's retries (same numbers, which the
 *   broker deduplicates against its own earlier write) all happen before the partition's next batch
 *   takes numbers;
 * - after any failed send the producer is retired: later batches go through a new producer (a new
 *   producer id, numbers from 0), so a counter rewound past a stored batch is never used again; the
 *   retired producer disconnects once its sends in flight have settled;
 * - a batch whose publish was refused before its turn (`abandoned`) is not sent.
 * Batches of different partitions are sent concurrently (kafkajs still sends one request at a time per broker).
 */
export class PartitionSender {
  private current: Promise<Producer> | undefined;
  private readonly inFlight = new Map<Promise<Producer>, number>();
  private readonly retired = new Set<Promise<Producer>>();
  private readonly tails = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly connect: () => Promise<Producer>,
    private readonly log: Logger,
  ) {}

  /** Resolves once the brokers acknowledged the batch (acks=all); rejects if they did not (it may still be stored). */
  send(batch: PartitionBatch): Promise<void> {
    const key = `${batch.topic}\u0000${batch.partition}`;
    const result = (this.tails.get(key) ?? Promise.resolve()).then(() => this.sendNow(batch));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  private producer(): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error("the event bus is closed"));
    if (!this.current) {
      const connecting = this.connect();
      this.current = connecting;
      connecting.catch(() => {
        if (this.current === connecting) this.current = undefined;
      });
    }
    return this.current;
  }

  private async sendNow(batch: PartitionBatch): Promise<void> {
    if (batch.abandoned?.()) throw new Error("publish refused before the batch was sent");
    const generation = this.producer();
    const producer = await generation;
    this.inFlight.set(generation, (this.inFlight.get(generation) ?? 0) + 1);
    try {
      await producer.send({ topic: batch.topic, acks: -1, timeout: batch.timeoutMs, messages: batch.messages.map((m) => ({ ...m, partition: batch.partition })) });
    } catch (err) {
      this.retire(generation, batch, err);
      throw err;
    } finally {
      const left = (this.inFlight.get(generation) ?? 1) - 1;
      if (left > 0) this.inFlight.set(generation, left);
      else {
        this.inFlight.delete(generation);
        if (this.retired.has(generation)) this.disconnect(generation);
      }
    }
  }

  private retire(generation: Promise<Producer>, batch: PartitionBatch, err: unknown): void {
    if (this.current !== generation) return;
    this.current = undefined;
    this.retired.add(generation);
    this.log.warn({ topic: batch.topic, partition: batch.partition, err: err instanceof Error ? err.message : String(err) }, "kafka: a send failed; its producer is retired (its sequence numbers may be rewound past a stored batch), later sends use a new producer id");
  }

  private disconnect(generation: Promise<Producer>): void {
    this.retired.delete(generation);
    void generation.then((p) => p.disconnect()).catch(() => undefined);
  }

  /** Disconnects every producer; a connection still being retried is given up after 1 s. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...new Set([this.current, ...this.retired, ...this.inFlight.keys()])].filter((g): g is Promise<Producer> => g !== undefined);
    this.current = undefined;
    this.retired.clear();
    await Promise.all(all.map((g) => Promise.race([g.then((p) => p.disconnect()).catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())])));
  }
}

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
 * - batches of one partition that queue while its send is in flight go out together as the next send
 *   (in call order, up to `COALESCE_MAX_RECORDS` records / `COALESCE_MAX_BYTES` bytes, so a request stays
 *   far below the brokers' 1 MB batch limit): each caller's promise settles with that send — acked all
 *   together, or all refused (and each may still be stored, as for any failed send);
 * - a partition always goes through the same producer while that one lives: partition p through the
 *   producer of slot p mod `producers` (its numbers stay in one producer id);
 * - after any failed send its slot's producer is retired: later batches of that slot go through a new
 *   producer (a new producer id, numbers from 0), so a counter rewound past a stored batch is never used
 *   again; the retired producer disconnects once its sends in flight have settled;
 * - a batch whose publish was refused before its turn (`abandoned`) is not sent.
 * Batches of different partitions are sent concurrently. kafkajs's idempotent producer sends one request
 * at a time per broker (a per-broker lock), so partitions led by one broker wait for each other unless
 * they are in different slots: with `producers` ≥ the topic's partitions, each partition has a producer
 * of its own and its send never waits for another partition's.
 */
export class PartitionSender {
  /** Per slot: its live producer (created on the slot's first send). */
  private readonly current = new Map<number, Promise<Producer>>();
  private readonly inFlight = new Map<Promise<Producer>, number>();
  private readonly retired = new Set<Promise<Producer>>();
  /** Per topic-partition: the batches waiting for its send in flight (a lane exists while it sends). */
  private readonly lanes = new Map<string, Queued[]>();
  private closed = false;

  /**
   * @param connect makes a new idempotent producer (a new producer id) each call
   * @param producers slots: producers the partitions are spread over (partition p → slot p mod producers). Default 1.
   */
  constructor(
    private readonly connect: () => Promise<Producer>,
    private readonly log: Logger,
    private readonly producers = 1,
  ) {
    if (!Number.isInteger(producers) || producers < 1) throw new Error(`PartitionSender: producers must be a positive integer, not ${producers}`);
  }

  /** Resolves once the brokers acknowledged the batch (acks=all); rejects if they did not (it may still be stored). */
  send(batch: PartitionBatch): Promise<void> {
    const key = `${batch.topic}\u0000${batch.partition}`;
    return new Promise<void>((resolve, reject) => {
      const queued: Queued = { batch, resolve, reject };
      const lane = this.lanes.get(key);
      if (lane) lane.push(queued);
      else {
        const fresh = [queued];
        this.lanes.set(key, fresh);
        void this.drain(key, fresh);
      }
    });
  }

  /**
   * Connects the producer of every slot that partitions `0..partitions-1` use and loads the topics'
   * metadata into each (kafkajs fetches a topic's metadata on its first send: an empty send fetches it
   * and produces nothing). A later send then waits for neither.
   */
  async prepare(topics: string[], partitions: number): Promise<void> {
    const slots = Math.min(this.producers, partitions);
    await Promise.all(
      Array.from({ length: slots }, async (_, slot) => {
        const producer = await this.producer(slot);
        await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: [] })) });
      }),
    );
  }

  /** Sends the lane's batches, coalescing what queued meanwhile, until none is left. */
  private async drain(key: string, lane: Queued[]): Promise<void> {
    while (lane.length > 0) {
      const taken = takeCoalesced(lane);
      if (taken.length === 0) continue;
      const first = taken[0] as Queued;
      const messages = taken.length === 1 ? first.batch.messages : taken.flatMap((q) => q.batch.messages);
      const timeoutMs = Math.max(...taken.map((q) => q.batch.timeoutMs));
      try {
        await this.sendNow(first.batch.topic, first.batch.partition, messages, timeoutMs);
        for (const q of taken) q.resolve();
      } catch (err) {
        for (const q of taken) q.reject(err);
      }
    }
    this.lanes.delete(key);
  }

  private producer(slot: number): Promise<Producer> {
    if (this.closed) return Promise.reject(new Error("the event bus is closed"));
    let live = this.current.get(slot);
    if (!live) {
      const connecting = this.connect();
      live = connecting;
      this.current.set(slot, connecting);
      connecting.catch(() => {
        if (this.current.get(slot) === connecting) this.current.delete(slot);
      });
    }
    return live;
  }

  private async sendNow(topic: string, partition: number, messages: Message[], timeoutMs: number): Promise<void> {
    const slot = partition % this.producers;
    const generation = this.producer(slot);
    const producer = await generation;
    this.inFlight.set(generation, (this.inFlight.get(generation) ?? 0) + 1);
    try {
      await producer.send({ topic, acks: -1, timeout: timeoutMs, messages: messages.map((m) => ({ ...m, partition })) });
    } catch (err) {
      this.retire(slot, generation, topic, partition, err);
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

  private retire(slot: number, generation: Promise<Producer>, topic: string, partition: number, err: unknown): void {
    if (this.current.get(slot) !== generation) return;
    this.current.delete(slot);
    this.retired.add(generation);
    this.log.warn({ topic, partition, err: err instanceof Error ? err.message : String(err) }, "kafka: a send failed; its producer is retired (its sequence numbers may be rewound past a stored batch), later sends use a new producer id");
  }

  private disconnect(generation: Promise<Producer>): void {
    this.retired.delete(generation);
    void generation.then((p) => p.disconnect()).catch(() => undefined);
  }

  /** Disconnects every producer; a connection still being retried is given up after 1 s. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...new Set([...this.current.values(), ...this.retired, ...this.inFlight.keys()])];
    this.current.clear();
    this.retired.clear();
    await Promise.all(all.map((g) => Promise.race([g.then((p) => p.disconnect()).catch(() => undefined), new Promise((r) => setTimeout(r, 1_000).unref())])));
  }
}

/** Records one coalesced send carries at most. */
export const COALESCE_MAX_RECORDS = 2_000;
/** Key + value bytes one coalesced send carries at most (the brokers refuse record batches over 1 MB by default). */
export const COALESCE_MAX_BYTES = 512 * 1024;

interface Queued {
  batch: PartitionBatch;
  resolve(): void;
  reject(err: unknown): void;
}

const sizeOf = (m: Message): number => byteLength(m.key) + byteLength(m.value);
const byteLength = (v: Message["key"] | Message["value"]): number => (v == null ? 0 : typeof v === "string" ? Buffer.byteLength(v) : v.length);

/**
 * Takes the lane's next batches for one send, in order: always the first (whatever its size), then
 * those that fit the limits. Abandoned batches are refused here, unsent.
 */
function takeCoalesced(lane: Queued[]): Queued[] {
  const taken: Queued[] = [];
  let records = 0;
  let bytes = 0;
  while (lane.length > 0) {
    const next = lane[0] as Queued;
    if (next.batch.abandoned?.()) {
      lane.shift();
      next.reject(new Error("publish refused before the batch was sent"));
      continue;
    }
    const size = next.batch.messages.reduce((n, m) => n + sizeOf(m), 0);
    if (taken.length > 0 && (records + next.batch.messages.length > COALESCE_MAX_RECORDS || bytes + size > COALESCE_MAX_BYTES)) break;
    lane.shift();
    taken.push(next);
    records += next.batch.messages.length;
    bytes += size;
  }
  return taken;
}

import type { Message, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { defaultLogger } from "../log";
import { COALESCE_MAX_RECORDS, PartitionSender } from "./partition-sender";

/**
 * A partition leader as an idempotent Kafka broker sees it: per producer id, the batches it holds by
 * first sequence number; a batch whose first sequence it already holds is answered "duplicate, success"
 * without being written. `ackLostAfterWrite` makes the next requests be written but answered with a
 * failure (a leader killed after replicating, a request timeout).
 */
class BrokerDouble {
  readonly log: string[] = [];
  private readonly held = new Map<string, number>();
  ackLostAfterWrite = 0;
  private readonly inFlight = new Map<number, number>();
  maxInFlight = 0;
  /** Produce requests being served at once, over all partitions and producers, and the most seen. */
  private serving = 0;
  maxServing = 0;
  /** The producer ids each partition's records came from, in order of first use. */
  readonly producersOf = new Map<number, number[]>();

  async produce(producerId: number, partition: number, firstSeq: number, messages: Message[]): Promise<void> {
    const ids = this.producersOf.get(partition) ?? [];
    if (!ids.includes(producerId)) this.producersOf.set(partition, [...ids, producerId]);
    this.maxServing = Math.max(this.maxServing, ++this.serving);
    await new Promise((r) => setTimeout(r, 5)).finally(() => this.serving--);
    const key = `${producerId}/${partition}/${firstSeq}`;
    if (this.held.has(key)) return; // duplicate: success, nothing written
    this.held.set(key, this.log.length);
    for (const m of messages) this.log.push(String(m.value));
    if (this.ackLostAfterWrite > 0) {
      this.ackLostAfterWrite--;
      throw new Error("Request Produce(key: 0, version: 7) timed out");
    }
  }

  /** Counts `producer.send` calls in progress per partition (what PartitionSender must keep at one). */
  enter(partition: number): void {
    const now = (this.inFlight.get(partition) ?? 0) + 1;
    this.inFlight.set(partition, now);
    this.maxInFlight = Math.max(this.maxInFlight, now);
  }

  leave(partition: number): void {
    this.inFlight.set(partition, (this.inFlight.get(partition) ?? 1) - 1);
  }
}

/**
 * kafkajs 2.2.4's idempotent producer as far as the finding goes (producer/sendMessages.js): a batch takes
 * its sequence numbers from a per-partition counter under a lock, and a failed request rewinds the counter
 * by the batch's size. Each double is one producer id. Its lock is one for all partitions, as kafkajs's
 * per-broker lock is for partitions with one leader: a producer's requests are served one at a time.
 */
function producerDouble(broker: BrokerDouble, producerId: number): Producer {
  const counters = new Map<number, number>();
  let lock: Promise<void> = Promise.resolve();
  const send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    const partition = record.messages[0]?.partition ?? 0;
    const turn = lock.then(async () => {
      const firstSeq = counters.get(partition) ?? 0;
      counters.set(partition, firstSeq + record.messages.length);
      try {
        await broker.produce(producerId, partition, firstSeq, record.messages);
      } catch (err) {
        counters.set(partition, (counters.get(partition) ?? 0) - record.messages.length);
        throw err;
      }
    });
    lock = turn.catch(() => undefined);
    broker.enter(partition);
    try {
      await turn;
    } finally {
      broker.leave(partition);
    }
    return [];
  };
  return { send, disconnect: async () => undefined } as unknown as Producer;
}

function batch(id: string, n = 3): Message[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${id}.${i}` }));
}

describe("PartitionSender (the acked-loss fix, against a double of kafkajs' idempotent producer)", () => {
  it("every acknowledged batch is written when a send fails after the broker wrote it (concurrent sends to one partition)", async () => {
    const broker = new BrokerDouble();
    let producers = 0;
    const sender = new PartitionSender(async () => producerDouble(broker, ++producers), defaultLogger());
    broker.ackLostAfterWrite = 1;
    const outcomes = await Promise.allSettled(["a", "b", "c", "d"].map((id) => sender.send({ topic: "t", partition: 0, messages: batch(id), timeoutMs: 1_000 })));
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled"]);
    for (const id of ["b", "c", "d"]) expect(broker.log).toContain(`${id}.0`);
    expect(broker.log.filter((v) => v.startsWith("a."))).toHaveLength(3); // the failed batch is stored (once here; a retry would write it again)
    await sender.close();
  });

  it("sends one batch at a time per partition, in call order, and different partitions concurrently", async () => {
    const broker = new BrokerDouble();
    const sender = new PartitionSender(async () => producerDouble(broker, 1), defaultLogger());
    await Promise.all(
      ["a", "b", "c"].flatMap((id) => [0, 1].map((partition) => sender.send({ topic: "t", partition, messages: batch(`${id}${partition}`, 1), timeoutMs: 1_000 }))),
    );
    expect(broker.maxInFlight).toBe(1); // producer.send calls in progress, per partition
    expect(broker.log.filter((v) => v.endsWith("0.0"))).toEqual(["a0.0", "b0.0", "c0.0"]);
    await sender.close();
  });

  it("uses a new producer (a new producer id) after a failed send, and only then", async () => {
    const broker = new BrokerDouble();
    const ids: number[] = [];
    let producers = 0;
    const sender = new PartitionSender(async () => {
      ids.push(++producers);
      return producerDouble(broker, producers);
    }, defaultLogger());
    await sender.send({ topic: "t", partition: 0, messages: batch("a"), timeoutMs: 1_000 });
    await sender.send({ topic: "t", partition: 0, messages: batch("b"), timeoutMs: 1_000 });
    expect(ids).toEqual([1]);
    broker.ackLostAfterWrite = 1;
    await expect(sender.send({ topic: "t", partition: 0, messages: batch("c"), timeoutMs: 1_000 })).rejects.toThrow(/timed out/);
    await sender.send({ topic: "t", partition: 0, messages: batch("d"), timeoutMs: 1_000 });
    expect(ids).toEqual([1, 2]);
    expect(broker.log).toContain("d.0"); // through the old producer, d would have taken c's rewound numbers: acked, not written
    await sender.close();
  });

  it("does not send a batch whose publish was refused before its turn (abandoned)", async () => {
    const broker = new BrokerDouble();
    const sender = new PartitionSender(async () => producerDouble(broker, 1), defaultLogger());
    const first = sender.send({ topic: "t", partition: 0, messages: batch("a"), timeoutMs: 1_000 });
    const refused = sender.send({ topic: "t", partition: 0, messages: batch("b"), timeoutMs: 1_000, abandoned: () => true });
    await first;
    await expect(refused).rejects.toThrow();
    expect(broker.log.some((v) => v.startsWith("b."))).toBe(false);
    await sender.close();
  });

  it("sends the batches that queued behind a partition's send in flight as its next single send, in call order, within the size limit", async () => {
    const broker = new BrokerDouble();
    const requests: number[] = [];
    const sender = new PartitionSender(async () => {
      const inner = producerDouble(broker, 1);
      return { ...inner, send: (record: ProducerRecord) => (requests.push(record.messages.length), inner.send(record)) } as unknown as Producer;
    }, defaultLogger());
    const first = sender.send({ topic: "t", partition: 0, messages: batch("a"), timeoutMs: 1_000 });
    const queued = ["b", "c", "d"].map((id) => sender.send({ topic: "t", partition: 0, messages: batch(id), timeoutMs: 1_000 }));
    await Promise.all([first, ...queued]);
    expect(requests).toEqual([3, 9]); // a alone, then b + c + d together
    expect(broker.log).toEqual(["a", "b", "c", "d"].flatMap((id) => [0, 1, 2].map((i) => `${id}.${i}`)));

    // more than one request's worth queued: split at the record limit, still in order
    requests.length = 0;
    const half = COALESCE_MAX_RECORDS / 2 + 1;
    const head = sender.send({ topic: "t", partition: 0, messages: batch("e", 1), timeoutMs: 1_000 });
    const big = ["f", "g", "h"].map((id) => sender.send({ topic: "t", partition: 0, messages: batch(id, half), timeoutMs: 1_000 }));
    await Promise.all([head, ...big]);
    expect(requests).toEqual([1, half, half, half]);
    expect(broker.maxInFlight).toBe(1);
    await sender.close();
  });

  it("spreads partitions over producers of their own (slot = partition mod producers), so partitions of one leader are sent concurrently", async () => {
    const broker = new BrokerDouble();
    let producers = 0;
    const sender = new PartitionSender(async () => producerDouble(broker, ++producers), defaultLogger(), 2);
    await Promise.all(
      ["a", "b", "c"].flatMap((id) => [0, 1, 2, 3].map((partition) => sender.send({ topic: "t", partition, messages: batch(`${id}${partition}`, 1), timeoutMs: 1_000 }))),
    );
    expect(producers).toBe(2);
    expect(Object.fromEntries(broker.producersOf)).toEqual({ 0: [1], 1: [2], 2: [1], 3: [2] }); // a partition's numbers stay in one producer id
    expect(broker.maxServing).toBe(2); // one producer's lock would serve them one at a time
    expect(broker.maxInFlight).toBe(1); // still one send at a time per partition
    expect(broker.log.filter((v) => v.endsWith("2.0"))).toEqual(["a2.0", "b2.0", "c2.0"]);
    await sender.close();

    const single = new BrokerDouble();
    const one = new PartitionSender(async () => producerDouble(single, 1), defaultLogger());
    await Promise.all([0, 1, 2, 3].map((partition) => one.send({ topic: "t", partition, messages: batch(`a${partition}`, 1), timeoutMs: 1_000 })));
    expect(single.maxServing).toBe(1);
    await one.close();
  });

  it("retires only the failed send's producer: that slot's next send uses a new producer id, the other slot keeps its own", async () => {
    const broker = new BrokerDouble();
    let producers = 0;
    const sender = new PartitionSender(async () => producerDouble(broker, ++producers), defaultLogger(), 2);
    await Promise.all([0, 1].map((partition) => sender.send({ topic: "t", partition, messages: batch(`a${partition}`), timeoutMs: 1_000 })));
    broker.ackLostAfterWrite = 1;
    await expect(sender.send({ topic: "t", partition: 0, messages: batch("b0"), timeoutMs: 1_000 })).rejects.toThrow(/timed out/);
    await Promise.all([0, 1].map((partition) => sender.send({ topic: "t", partition, messages: batch(`c${partition}`), timeoutMs: 1_000 })));
    expect(Object.fromEntries(broker.producersOf)).toEqual({ 0: [1, 3], 1: [2] });
    expect(broker.log).toContain("c0.0"); // through producer 1, c0 would have taken b0's rewound numbers: acked, not written
    expect(broker.log).toContain("c1.0");
    await sender.close();
  });

  it("prepare connects each slot's producer once and loads the topics into it with an empty send; later sends reuse them", async () => {
    const broker = new BrokerDouble();
    const loaded: Array<{ producer: number; topics: string[]; records: number }> = [];
    let producers = 0;
    const connect = async (): Promise<Producer> => {
      const id = ++producers;
      const producer = producerDouble(broker, id);
      return Object.assign(producer, {
        sendBatch: async (b: ProducerBatch) => {
          loaded.push({ producer: id, topics: (b.topicMessages ?? []).map((t) => t.topic), records: (b.topicMessages ?? []).reduce((n, t) => n + t.messages.length, 0) });
          return [];
        },
      });
    };
    const sender = new PartitionSender(connect, defaultLogger(), 4);
    await sender.prepare(["t", "u"], 6);
    expect(producers).toBe(4); // slots 0–3 (partitions 0–5 → slot p mod 4)
    expect(loaded.map((l) => l.producer).sort()).toEqual([1, 2, 3, 4]);
    for (const l of loaded) expect(l).toMatchObject({ topics: ["t", "u"], records: 0 });
    await Promise.all([0, 1, 2, 3, 4, 5].map((partition) => sender.send({ topic: "t", partition, messages: batch(`p${partition}`, 1), timeoutMs: 1_000 })));
    expect(producers).toBe(4);
    expect(broker.log).toHaveLength(6);
    await sender.prepare(["t"], 2); // fewer partitions than slots: only those slots, already connected
    expect(producers).toBe(4);
    await sender.close();
  });

  it("refuses a pool of no producers", () => {
    expect(() => new PartitionSender(async () => producerDouble(new BrokerDouble(), 1), defaultLogger(), 0)).toThrow(/positive integer/);
  });
});

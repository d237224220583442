import { injectContext } from "../tracing";
import type { BusRecord, EventBus } from "./event-bus";
import { packRecords } from "./packed-records";

export interface BatchingPublisherOptions {
  /**
   * Pack the records of one key into packed records at each flush (core/bus/packed-records.ts: caps,
   * order, which trace headers a pack keeps). Only for topics whose consumers decode packed records
   * (workers/parse-records.ts) and whose record values are each one event. Default false.
   */
  pack?: boolean;
}

/**
 * Coalesces fire-and-forget records for one topic into a publish every `lingerMs` (like Kafka's
 * linger.ms), so a connect storm costs a handful of broker requests instead of one per socket. Each
 * `add` resolves (or rejects) with the publish that carried its record. Each record keeps the trace
 * context of its `add` (the batch is published later, outside it).
 *
 * With `pack`, the records of one key in a flush travel as packed records (one record per key while
 * under the caps): the per-record cost of the producer (record encoding, partitioner, request size)
 * is paid per key and flush instead of per event. `add` still resolves per record, with the publish
 * that carried its pack.
 */
export class BatchingPublisher {
  private pending: Array<{ record: BusRecord; done: (err?: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
    private readonly lingerMs = 20,
    private readonly maxBatch = 1_000,
    private readonly options: BatchingPublisherOptions = {},
  ) {}

  add(record: BusRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers = record.headers ?? injectContext();
      this.pending.push({ record: headers ? { ...record, headers } : record, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const records = batch.map((b) => b.record);
    this.bus.publish(this.topic, this.options.pack ? packRecords(records) : records).then(
      () => batch.forEach((b) => b.done()),
      (err: unknown) => batch.forEach((b) => b.done(err)),
    );
  }
}

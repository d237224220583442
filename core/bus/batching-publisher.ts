import { injectContext } from "../tracing";
import type { BusRecord, EventBus } from "./event-bus";

/**
 * Coalesces fire-and-forget records for one topic into a publish every `lingerMs` (like Kafka's
 * linger.ms), so a connect storm costs a handful of broker requests instead of one per socket. Each
 * `add` resolves (or rejects) with the publish that carried its record. Each record keeps the trace
 * context of its `add` (the batch is published later, outside it).
 */
export class BatchingPublisher {
  private pending: Array<{ record: BusRecord; done: (err?: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
    private readonly lingerMs = 20,
    private readonly maxBatch = 1_000,
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
    this.bus.publish(this.topic, batch.map((b) => b.record)).then(
      () => batch.forEach((b) => b.done()),
      (err: unknown) => batch.forEach((b) => b.done(err)),
    );
  }
}

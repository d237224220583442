import { AppError, ErrorCode } from "../errors";
import { defaultLogger, type Logger } from "../log";
import { injectContext } from "../tracing";
import type { BusRecord, EventBus, SubscribeOptions, Subscription } from "./event-bus";

export interface MemoryEventBusOptions {
  /** Records kept per topic for groups that subscribe later. Default 10,000; past it publish is refused. */
  maxBacklog: number;
  /** Where failed backlog deliveries are logged. Default: the process's fallback logger. */
  log: Logger;
}

interface Group {
  handler: (records: BusRecord[]) => Promise<void>;
}

interface TopicState {
  /** Records published before any group subscribed; handed to the first group that does. */
  backlog: BusRecord[];
  groups: Map<string, Group>;
  /** Serializes delivery so records reach each group in publish order. */
  tail: Promise<void>;
}

/**
 * In-process EventBus: the embedded default and a unit-test double. `publish` resolves once every
 * subscribed group's handler has processed the records (so an ack implies persisted); if a handler
 * throws, `publish` rejects with 5001 and the records count as not written. Nothing survives the process.
 * Records carry the publisher's trace context in `headers` like Kafka records do.
 */
export class MemoryEventBus implements EventBus {
  private readonly topics = new Map<string, TopicState>();
  private closed = false;
  private readonly options: MemoryEventBusOptions;

  constructor(options: Partial<MemoryEventBusOptions> = {}) {
    this.options = { maxBacklog: 10_000, log: defaultLogger(), ...options };
  }

  private topic(name: string): TopicState {
    let state = this.topics.get(name);
    if (!state) {
      state = { backlog: [], groups: new Map(), tail: Promise.resolve() };
      this.topics.set(name, state);
    }
    return state;
  }

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    if (this.closed) throw new AppError(ErrorCode.Unavailable, "event bus closed");
    const state = this.topic(topic);
    const here = injectContext();
    const copies = records.map((r) => {
      const headers = r.headers ?? here;
      return headers ? { ...r, headers } : { ...r };
    });
    if (state.groups.size === 0) {
      if (state.backlog.length + copies.length > this.options.maxBacklog) {
        throw new AppError(ErrorCode.Unavailable, `event bus backlog full for ${topic}`);
      }
      state.backlog.push(...copies);
      return;
    }
    const run = state.tail.then(async () => {
      for (const group of state.groups.values()) await group.handler(copies);
    });
    state.tail = run.catch(() => undefined);
    try {
      await run;
    } catch (err) {
      throw new AppError(ErrorCode.Unavailable, "event not persisted", { cause: err });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const state = this.topic(options.topic);
    if (state.groups.has(options.group)) throw new Error(`group ${options.group} already subscribed to ${options.topic}`);
    const backlog = state.backlog.splice(0);
    state.groups.set(options.group, { handler: options.handler });
    if (backlog.length > 0) {
      const run = state.tail.then(() => options.handler(backlog));
      state.tail = run.catch((err: unknown) => {
        this.options.log.error({ err, group: options.group, topic: options.topic }, "bus: backlog delivery failed");
      });
      await state.tail;
    }
    return {
      close: async () => {
        state.groups.delete(options.group);
      },
    };
  }

  async consumerLag(group: string, topic: string): Promise<number> {
    const state = this.topics.get(topic);
    return state && !state.groups.has(group) ? state.backlog.length : 0;
  }

  /** Nothing to prepare in memory. */
  async prepare(): Promise<void> {}

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.topics.values()].map((t) => t.tail));
    this.topics.clear();
  }
}

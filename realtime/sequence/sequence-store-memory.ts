import type { SequenceSeed, SequenceStore } from "./sequence-store";

/** In-process SequenceStore (embedded default, single node). Seeds each key once, then counts in memory. */
export class MemorySequenceStore implements SequenceStore {
  private readonly counters = new Map<string, Promise<number>>();

  constructor(private readonly seed: SequenceSeed = async () => 0) {}

  current(key: string): Promise<number> {
    let value = this.counters.get(key);
    if (!value) {
      value = this.seed(key);
      this.counters.set(key, value.catch(() => this.seed(key)));
    }
    return value;
  }

  next(key: string, numbered?: (n: number) => void): Promise<number> {
    const previous = this.counters.get(key) ?? this.seed(key);
    const next = previous.then((n) => (numbered?.(n + 1), n + 1));
    // A failed seed is not cached: the next call seeds again.
    this.counters.set(key, next.catch(() => this.seed(key)));
    return next;
  }
}

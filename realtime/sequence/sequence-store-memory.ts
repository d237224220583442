import { NUMBERED_ID_TTL_SECONDS, type SequenceSeed, type SequenceStore } from "./sequence-store";

/** In-process SequenceStore (embedded default, single node). Seeds each key once, then counts in memory. */
export class MemorySequenceStore implements SequenceStore {
  private readonly counters = new Map<string, Promise<number>>();
  /** Numbers taken for message ids (`key` NUL `id`), in the order taken, each with its expiry (epoch ms). */
  private readonly numberedIds = new Map<string, { n: number; until: number }>();

  constructor(private readonly seed: SequenceSeed = async () => 0) {}

  current(key: string): Promise<number> {
    let value = this.counters.get(key);
    if (!value) {
      value = this.seed(key);
      this.counters.set(key, value.catch(() => this.seed(key)));
    }
    return value;
  }

  next(key: string, numbered?: (n: number) => void, id?: string): Promise<number> {
    const taken = id === undefined ? undefined : this.numberOf(key, id);
    if (taken !== undefined) {
      numbered?.(taken);
      return Promise.resolve(taken);
    }
    const previous = this.counters.get(key) ?? this.seed(key);
    const step = previous.then((counter) => {
      // a concurrent call for the same id took its number meanwhile (calls on one key run in order)
      const meanwhile = id === undefined ? undefined : this.numberOf(key, id);
      const number = meanwhile ?? counter + 1;
      if (meanwhile === undefined && id !== undefined) this.recordId(key, id, number);
      numbered?.(number);
      return { counter: meanwhile === undefined ? number : counter, number };
    });
    // A failed seed is not cached: the next call seeds again.
    this.counters.set(
      key,
      step.then(
        (s) => s.counter,
        () => this.seed(key),
      ),
    );
    return step.then((s) => s.number);
  }

  private numberOf(key: string, id: string): number | undefined {
    const entry = this.numberedIds.get(`${key}\u0000${id}`);
    return entry && entry.until > Date.now() ? entry.n : undefined;
  }

  private recordId(key: string, id: string, n: number): void {
    const now = Date.now();
    // entries expire in the order they were taken: drop the expired ones from the front
    for (const [k, entry] of this.numberedIds) {
      if (entry.until > now) break;
      this.numberedIds.delete(k);
    }
    this.numberedIds.set(`${key}\u0000${id}`, { n, until: now + NUMBERED_ID_TTL_SECONDS * 1_000 });
  }
}

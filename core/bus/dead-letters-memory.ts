import { DEAD_LETTER_TOPIC } from "../contracts/streams";
import { parseLetter, pickLetters, republish, type DeadLetters, type LetterAt, type LetterSelection } from "./dead-letters";
import type { EventBus, Subscription } from "./event-bus";

/** Letters kept by the in-memory dead-letter topic; older ones are dropped. */
export const MEMORY_DEAD_LETTERS_KEPT = 1_000;

/**
 * The dead-letter topic of the in-memory bus (embedded mode): a consumer group that keeps the last
 * MEMORY_DEAD_LETTERS_KEPT letters, at positions `0:<n>` (n counts from 0 for the process's life).
 * Nothing survives a restart (the workers also log each letter).
 */
export class MemoryDeadLetters implements DeadLetters {
  private readonly letters: LetterAt[] = [];
  private next = 0;
  private subscription: Subscription | undefined;

  private constructor(private readonly bus: EventBus) {}

  /** Starts keeping the bus's dead letters (including those published before, which the bus kept). */
  static async attach(bus: EventBus): Promise<MemoryDeadLetters> {
    const store = new MemoryDeadLetters(bus);
    store.subscription = await bus.subscribe({
      group: "dead-letter-console",
      topic: DEAD_LETTER_TOPIC,
      handler: async (records) => {
        for (const r of records) store.letters.push({ at: `0:${store.next++}`, letter: parseLetter(r.value) });
        if (store.letters.length > MEMORY_DEAD_LETTERS_KEPT) store.letters.splice(0, store.letters.length - MEMORY_DEAD_LETTERS_KEPT);
      },
    });
    return store;
  }

  async list(): Promise<LetterAt[]> {
    return [...this.letters];
  }

  async replay(selection: LetterSelection): Promise<LetterAt[]> {
    const letters = pickLetters(this.letters, selection);
    await republish(this.bus, letters);
    return letters;
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }
}

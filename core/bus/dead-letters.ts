import { AppError, ErrorCode } from "../errors";
import type { DeadLetter } from "../contracts/streams";
import type { EventBus } from "./event-bus";

/** A dead letter and where it sits in the dead-letter topic. */
export interface LetterAt {
  /** `partition:offset` in the dead-letter topic (the memory bus has one partition, 0). */
  at: string;
  letter: DeadLetter;
}

/** What a replay names: positions (`partition:offset`), or every letter (optionally of one topic). */
export type LetterSelection = { positions: string[] } | { all: true; topic?: string };

/**
 * The dead-letter topic for operators (`npm run dlq`, the admin console): records a worker could never
 * write. Replaying a letter publishes its event to its own topic with its own key; workers write it
 * once (every write is idempotent on the event id, so replaying twice stores nothing twice).
 */
export interface DeadLetters {
  /** Every letter, oldest first. */
  list(): Promise<LetterAt[]>;
  /** Publishes the selected letters' events again; resolves with them once the bus holds them. Unknown positions: 4000, nothing replayed. */
  replay(selection: LetterSelection): Promise<LetterAt[]>;
}

/** The letters a selection names, from `all`; throws 4000 (naming them) when a position holds no letter. */
export function pickLetters(all: LetterAt[], selection: LetterSelection): LetterAt[] {
  const replayable = all.filter((l) => l.letter.topic !== "");
  if ("all" in selection) return replayable.filter((l) => !selection.topic || l.letter.topic === selection.topic);
  const wanted = replayable.filter((l) => selection.positions.includes(l.at));
  const missing = selection.positions.filter((p) => !wanted.some((l) => l.at === p));
  if (selection.positions.length === 0) throw new AppError(ErrorCode.InvalidPayload, "name letters as partition:offset, or all");
  if (missing.length > 0) throw new AppError(ErrorCode.NotFound, `no dead letter at ${missing.join(", ")}`);
  return wanted;
}

/** Publishes each letter's event to its own topic with its own key; resolves once the bus holds them. */
export async function republish(bus: EventBus, letters: LetterAt[]): Promise<void> {
  const byTopic = new Map<string, Array<{ key: string; value: string }>>();
  for (const { letter } of letters) {
    const list = byTopic.get(letter.topic) ?? [];
    list.push({ key: letter.key, value: letter.value });
    byTopic.set(letter.topic, list);
  }
  for (const [topic, records] of byTopic) await bus.publish(topic, records);
}

/** A letter read from the topic: a record that is not a letter is kept, with its raw text, as a letter of unknown topic. */
export function parseLetter(value: string): DeadLetter {
  try {
    const parsed = JSON.parse(value) as Partial<DeadLetter>;
    if (typeof parsed.topic === "string" && typeof parsed.key === "string" && typeof parsed.value === "string") {
      return { topic: parsed.topic, key: parsed.key, value: parsed.value, reason: String(parsed.reason ?? ""), at: String(parsed.at ?? "") };
    }
  } catch {
    // not JSON: kept below
  }
  return { topic: "", key: "", value, reason: "not a dead letter", at: "" };
}

import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { AppError, ErrorCode } from "../errors";
import { DEAD_LETTER_TOPIC } from "../contracts/streams";
import { parseLetter, pickLetters, republish, type DeadLetters, type LetterAt, type LetterSelection } from "./dead-letters";
import type { EventBus } from "./event-bus";
import { stopKafkajsIdleLoop } from "./kafkajs-idle-loop";

/** How long reading the topic to its end may take. */
const READ_TIMEOUT_MS = 30_000;
/** A listing is reused this long (and concurrent callers share one read): each read joins a consumer group. */
export const LISTING_FRESH_MS = 2_000;

/**
 * The dead-letter topic in Kafka. `list` reads it from the start to the high watermarks with a throwaway
 * consumer group (commits nothing, deleted after), so it costs a group join: a listing is shared by
 * concurrent callers and reused for LISTING_FRESH_MS. `replay` republishes through the given bus
 * (acks=all); positions the last listing lacks are looked up in a fresh one.
 */
export class KafkaDeadLetters implements DeadLetters {
  private listing: { at: number; letters: Promise<LetterAt[]> } | undefined;

  constructor(
    private readonly brokers: string[],
    private readonly namespace: string,
    private readonly bus: EventBus,
  ) {}

  list(): Promise<LetterAt[]> {
    if (this.listing && Date.now() - this.listing.at <= LISTING_FRESH_MS) return this.listing.letters;
    const listing = { at: Date.now(), letters: this.read() };
    this.listing = listing;
    listing.letters.catch(() => {
      if (this.listing === listing) this.listing = undefined;
    });
    return listing.letters;
  }

  private async read(): Promise<LetterAt[]> {
    stopKafkajsIdleLoop();
    const kafka = new Kafka({ clientId: "interlinked-dlq", brokers: this.brokers, logLevel: logLevel.NOTHING });
    const topic = `${this.namespace}.${DEAD_LETTER_TOPIC}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic)) return [];
      const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low));
      if (ends.length === 0) return [];
      const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
      const letters: LetterAt[] = [];
      const groupId = `${this.namespace}.dlq-reader-${randomBytes(4).toString("hex")}`;
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new AppError(ErrorCode.Timeout, `could not read ${topic} within ${READ_TIMEOUT_MS / 1000} s`)), READ_TIMEOUT_MS);
          void consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const high = remaining.get(partition);
                if (high === undefined) return;
                letters.push({ at: `${partition}:${message.offset}`, letter: parseLetter(message.value?.toString() ?? "") });
                if (Number(message.offset) + 1 >= high) remaining.delete(partition);
                if (remaining.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
      return letters.sort((a, b) => a.letter.at.localeCompare(b.letter.at));
    } finally {
      await admin.disconnect();
    }
  }

  async replay(selection: LetterSelection): Promise<LetterAt[]> {
    let all = await this.list();
    if ("positions" in selection && selection.positions.some((p) => !all.some((l) => l.at === p))) {
      this.listing = undefined;
      all = await this.list();
    }
    const letters = pickLetters(all, selection);
    await republish(this.bus, letters);
    return letters;
  }
}

/**
 * `npm run dlq -- <list|show|replay> …`: the dead-letter topic, for operators. Records land there when
 * a worker can never write them (invalid, refused by the database, no writer for their type); each is a
 * defect, since what reached the bus had been acked to a client. After fixing the cause, replay them:
 * they go back to their own topic with their own key, and the workers write them once (every write is
 * idempotent on the event id, so replaying twice stores nothing twice).
 *
 *   npm run dlq -- list [--topic room-messages]         one line a letter: partition:offset, when, topic, key, reason
 *   npm run dlq -- show 0:12                            one letter in full, with its event
 *   npm run dlq -- replay 0:12 1:3 | --all [--topic T]  publish those letters' events to their topics again
 *
 * Reads KAFKA_BROKERS and NAMESPACE like the nodes (the embedded in-memory bus keeps no dead letters
 * across a restart: its workers log each one).
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { DEAD_LETTER_TOPIC, type DeadLetter } from "../core/contracts/streams";

interface LetterAt {
  /** `partition:offset` in the dead-letter topic. */
  at: string;
  letter: DeadLetter;
}

/** Every letter in the dead-letter topic, oldest first per partition (reads to the high watermark, commits nothing). */
async function readDeadLetters(brokers: string[], namespace: string): Promise<LetterAt[]> {
  const kafka = new Kafka({ clientId: "interlinked-dlq", brokers, logLevel: logLevel.NOTHING });
  const topic = `${namespace}.${DEAD_LETTER_TOPIC}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low));
    if (ends.length === 0) return [];
    const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const letters: LetterAt[] = [];
    const groupId = `${namespace}.dlq-reader-${randomBytes(4).toString("hex")}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`could not read ${topic} within 30 s`)), 30_000);
        void consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const high = remaining.get(partition);
              if (high === undefined) return;
              letters.push({ at: `${partition}:${message.offset}`, letter: JSON.parse(message.value?.toString() ?? "{}") as DeadLetter });
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

/** Publishes each letter's event to its own topic, with its own key; resolves once Kafka has them (acks=all). */
async function replayLetters(bus: KafkaEventBus, letters: LetterAt[]): Promise<void> {
  const byTopic = new Map<string, Array<{ key: string; value: string }>>();
  for (const { letter } of letters) {
    const list = byTopic.get(letter.topic) ?? [];
    list.push({ key: letter.key, value: letter.value });
    byTopic.set(letter.topic, list);
  }
  for (const [topic, records] of byTopic) await bus.publish(topic, records);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { topic: { type: "string" }, all: { type: "boolean", default: false } } });
  const [command, ...refs] = positionals;
  const config = { kafkaBrokers: process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim()), namespace: process.env.NAMESPACE || "il" };
  if (!config.kafkaBrokers) throw new Error("KAFKA_BROKERS is not set: the dead-letter topic lives in Kafka (the embedded bus logs dead letters instead)");
  const all = (await readDeadLetters(config.kafkaBrokers, config.namespace)).filter((l) => !values.topic || l.letter.topic === values.topic);
  const pick = (): LetterAt[] => {
    if (values.all) return all;
    const wanted = all.filter((l) => refs.includes(l.at));
    const missing = refs.filter((r) => !wanted.some((l) => l.at === r));
    if (refs.length === 0 || missing.length > 0) throw new Error(refs.length === 0 ? "name letters as partition:offset, or --all" : `no letter at ${missing.join(", ")}`);
    return wanted;
  };
  switch (command) {
    case "list":
      for (const { at, letter } of all) console.log(`${at}\t${letter.at}\t${letter.topic}\t${letter.key}\t${letter.reason}`);
      console.log(`${all.length} dead letter(s)`);
      return;
    case "show":
      for (const { at, letter } of pick()) {
        let event: unknown = letter.value;
        try {
          event = JSON.parse(letter.value);
        } catch {
          // not JSON: shown as the raw text it was
        }
        console.log(JSON.stringify({ position: at, ...letter, value: event }, null, 2));
      }
      return;
    case "replay": {
      const letters = pick();
      const bus = new KafkaEventBus({ brokers: config.kafkaBrokers, namespace: config.namespace, clientId: "interlinked-dlq", logLevel: "none" });
      try {
        await replayLetters(bus, letters);
      } finally {
        await bus.close();
      }
      for (const { at, letter } of letters) console.log(`replayed ${at} → ${letter.topic} (key ${letter.key})`);
      console.log(`${letters.length} letter(s) replayed`);
      return;
    }
    default:
      throw new Error("usage: npm run dlq -- list [--topic T] | show <p:o>… | replay <p:o>… | replay --all [--topic T]");
  }
}

main().catch((err: unknown) => {
  console.error(`dlq: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

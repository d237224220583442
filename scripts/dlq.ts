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
import { parseArgs } from "node:util";
import type { LetterAt, LetterSelection } from "../core/bus/dead-letters";
import { KafkaDeadLetters } from "../core/bus/dead-letters-kafka";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { topic: { type: "string" }, all: { type: "boolean", default: false } } });
  const [command, ...refs] = positionals;
  const config = { kafkaBrokers: process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim()), namespace: process.env.NAMESPACE || "il" };
  if (!config.kafkaBrokers) throw new Error("KAFKA_BROKERS is not set: the dead-letter topic lives in Kafka (the embedded bus logs dead letters instead)");
  const bus = new KafkaEventBus({ brokers: config.kafkaBrokers, namespace: config.namespace, clientId: "interlinked-dlq", logLevel: "none" });
  try {
    await run(command, refs, values, new KafkaDeadLetters(config.kafkaBrokers, config.namespace, bus));
  } finally {
    await bus.close();
  }
}

async function run(command: string | undefined, refs: string[], values: { topic?: string; all?: boolean }, deadLetters: KafkaDeadLetters): Promise<void> {
  const listed = async (): Promise<LetterAt[]> => (await deadLetters.list()).filter((l) => !values.topic || l.letter.topic === values.topic);
  const selection = (): LetterSelection => {
    if (values.all) return { all: true, topic: values.topic };
    if (refs.length === 0) throw new Error("name letters as partition:offset, or --all");
    return { positions: refs };
  };
  const pick = async (): Promise<LetterAt[]> => {
    const s = selection();
    const all = await listed();
    if ("all" in s) return all;
    const wanted = all.filter((l) => s.positions.includes(l.at));
    const missing = s.positions.filter((r) => !wanted.some((l) => l.at === r));
    if (missing.length > 0) throw new Error(`no letter at ${missing.join(", ")}`);
    return wanted;
  };
  switch (command) {
    case "list": {
      const all = await listed();
      for (const { at, letter } of all) console.log(`${at}\t${letter.at}\t${letter.topic}\t${letter.key}\t${letter.reason}`);
      console.log(`${all.length} dead letter(s)`);
      return;
    }
    case "show":
      for (const { at, letter } of await pick()) {
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
      const letters = await deadLetters.replay(selection());
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

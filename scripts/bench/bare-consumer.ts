/**
 * Baseline for the pipeline benchmark: a bare kafkajs consumer that INSERTs each batch with plain pg,
 * without validation, row-level security, idempotency or dead-lettering. What our worker costs on top.
 * Env: KAFKA_BROKERS, DATABASE_URL, TOPIC, GROUP.
 */
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";

const env = (name: string): string => process.env[name] ?? (() => { throw new Error(`${name} required`); })();
const pool = new pg.Pool({ connectionString: env("DATABASE_URL"), max: 4 });
await pool.query("create table if not exists bare_messages (id uuid primary key, tenant_id text, room text, seq bigint, user_id text, text text, sent_at timestamptz, stored_at timestamptz default clock_timestamp())");
const consumer = new Kafka({ brokers: env("KAFKA_BROKERS").split(","), logLevel: logLevel.NOTHING }).consumer({ groupId: env("GROUP") });
await consumer.connect();
await consumer.subscribe({ topics: [env("TOPIC")], fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch }) => {
    const rows = batch.messages.map((m) => JSON.parse(m.value?.toString() ?? "{}") as { id: string; tenant: string; at: string; data: { room: string; seq: number; user: string; text: string } });
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(r.id, r.tenant, r.data.room, r.data.seq, r.data.user, r.data.text, r.at);
      const b = i * 7;
      return `($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5},$${b + 6},$${b + 7})`;
    });
    await pool.query(`insert into bare_messages (id, tenant_id, room, seq, user_id, text, sent_at) values ${tuples.join(",")}`, values);
  },
});
console.log("bare consumer running");
process.on("SIGTERM", () => void consumer.disconnect().then(() => pool.end()).then(() => process.exit(0)));

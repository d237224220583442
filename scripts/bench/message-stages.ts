/**
 * `npm run bench:message-stages [-- --messages 300 --rate 20]`: where one room message's latency goes
 * before its broadcast, stage by stage, on the real services (Redis, Kafka, PostgreSQL), in the order
 * the room:message handler (realtime/handlers/rooms.ts) runs them: the mute flag and the recipient count
 * (one round trip, in parallel), the tenant's message rate (rate-limiter-flexible on Redis), the
 * sequence number (Redis INCR), the Kafka produce acknowledged (acks=all), the history write (Redis).
 * Messages are sent one at a time at `--rate`/s, like the low-rate fan-out step; prints p50/p99 per stage,
 * what the broadcast waits for (all but the history write) and what the ack waits for (all).
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { openInfrastructure } from "../../app/infrastructure";
import { configFromEnv } from "../../core/config-env";
import { newEvent, publishEvents } from "../../core/contracts/streams";
import { createLogger } from "../../core/log";
import { orderingKeys, stateKeys } from "../../core/tenant-keys";
import { TenantLimits } from "../../db/stores/tenant-limits";
import { TenantQuotas } from "../../realtime/quotas";
import { toDelivery } from "../../realtime/room-messages";
import { createScratchDatabase } from "../../tools/services/postgres";
import { givenServices, provisionServices } from "../../tools/services/provision";

const { values: args } = parseArgs({ options: { messages: { type: "string", default: "300" }, rate: { type: "string", default: "20" } } });
const N = Number(args.messages);
const GAP_MS = 1000 / Number(args.rate);
const log = (line: string): void => console.log(`[bench] ${line}`);

const services = await provisionServices(givenServices(process.env), log);
const databaseUrl = await createScratchDatabase(services.env.DATABASE_URL, "stages");
const env: NodeJS.ProcessEnv = { ...process.env, ...services.env, DATABASE_URL: databaseUrl, NAMESPACE: `st${randomBytes(3).toString("hex")}`, ROLES: "realtime", AUTH_SECRET: randomBytes(32).toString("hex") };
delete env.REDIS_CLUSTER_NODES; // one Redis, as the fan-out benchmark's nodes
const config = configFromEnv(env);
const infra = await openInfrastructure({ ...config, migrateOnStart: true }, createLogger({ nodeId: "stages", level: "error" }));
const quotas = new TenantQuotas(new TenantLimits(infra.stores.tenants), infra.state, infra.redis?.command, `${config.namespace}:`);
const [tenant, room, user] = ["bench", "lecture", "u1"];
const stages = ["mute flag ∥ recipient count", "message rate (quota)", "sequence INCR", "Kafka produce acked", "history write"] as const;
const times: number[][] = stages.map(() => []);
const broadcastAt: number[] = [];
const ackAt: number[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  await publishEvents(infra.bus, "roomMessages", [newEvent("room.message.created", tenant, { room: "warm-up", seq: 1, user, text: "warm-up" })]);
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    const lap: number[] = [];
    let t = started;
    const mark = () => {
      const now = performance.now();
      lap.push(now - t);
      t = now;
    };
    await Promise.all([infra.state.isFlagged(stateKeys.mute(tenant, room, user)), infra.presence.roomMemberCount(tenant, room)]);
    mark();
    await quotas.consumeMessage(tenant, 80, 500);
    mark();
    const stream = orderingKeys.room(tenant, room);
    const seq = await infra.sequences.next(stream);
    mark();
    const event = newEvent("room.message.created", tenant, { room, seq, user, text: `message ${i}` });
    await publishEvents(infra.bus, "roomMessages", [event]);
    mark();
    const broadcast = performance.now() - started;
    await infra.history.append(stream, seq, JSON.stringify(toDelivery(event)));
    mark();
    if (i >= 10) {
      lap.forEach((ms, k) => times[k]!.push(ms));
      broadcastAt.push(broadcast);
      ackAt.push(performance.now() - started);
    }
    await sleep(Math.max(0, GAP_MS - (performance.now() - started)));
  }
} finally {
  await infra.close();
  await services.stop({ keepLogs: false });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
console.log(`\nMessage stages, ${new Date().toISOString()}, ${N - 10} messages one at a time at ${args.rate}/s (first 10 not counted)`);
console.log("| stage | p50 ms | p99 ms |\n|---|---|---|");
stages.forEach((name, k) => console.log(`| ${name} | ${pct(times[k]!, 0.5).toFixed(2)} | ${pct(times[k]!, 0.99).toFixed(2)} |`));
console.log(`| **broadcast waits for** (all but the history write) | ${pct(broadcastAt, 0.5).toFixed(2)} | ${pct(broadcastAt, 0.99).toFixed(2)} |`);
console.log(`| ack waits for (all) | ${pct(ackAt, 0.5).toFixed(2)} | ${pct(ackAt, 0.99).toFixed(2)} |`);
process.exit(0);

import { Redis } from "ioredis";
import { expect, it } from "vitest";
import type { RoomMessageDelivery } from "../../core/events";
import { eventually } from "../support/clients";
import { scrape } from "../support/nodes";
import { ack, freshTenant } from "../support/realtime";
import { serviceEnv } from "../support/services";
import type { FeatureContext } from "./context";

/** Recovery: missed room and chat messages on rejoin, from Redis history or from PostgreSQL. */
export function recoveryFeatures(ctx: FeatureContext): void {
  const { pool, api } = ctx;
  it("recovery: a client rejoining on another node with its last seq gets exactly the missed messages, from Redis or Postgres", async () => {
    const deployment = ctx.deployment();
    const t = freshTenant("rec");
    const a1 = await pool.connect(0, t, "ann");
    const bob = await pool.connect(1, t, "bob");
    await ack(a1, "room:join", { room: "r" });
    await ack(bob, "room:join", { room: "r" });
    for (const text of ["1", "2", "3"]) await ack(bob, "room:message", { room: "r", text });
    a1.close();
    for (const text of ["4", "5", "6"]) await ack(bob, "room:message", { room: "r", text });
    const a2 = await pool.connect(2, t, "ann");
    const back = await ack(a2, "room:join", { room: "r", since: 3 });
    expect(back.recovered).toBe(true);
    expect((back.messages as RoomMessageDelivery[]).map((m) => [m.seq, m.text])).toEqual([[4, "4"], [5, "5"], [6, "6"]]);
    expect(await ack(a2, "room:join", { room: "r", since: 6 })).toMatchObject({ recovered: true, messages: [] });
    // without the Redis history the same answer comes from Postgres (once the worker stored it)
    const redis = new Redis(serviceEnv("REDIS_URL"));
    await redis.del(`${deployment.namespace}:h:${t}:r`);
    redis.disconnect();
    const fromDb = await eventually(() => ack(a2, "room:join", { room: "r", since: 1 }), (r) => r.recovered === true);
    expect((fromDb.messages as RoomMessageDelivery[]).map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);
    const conv = (await (await api(t, "ann")).post<{ id: string }>("/v1/conversations", { kind: "direct", user: "bob" })).body.id;
    for (const text of ["x", "y"]) await ack(bob, "chat:send", { conversationId: conv, text });
    expect(await ack(a2, "chat:sync", { conversationId: conv, since: 1 })).toMatchObject({ recovered: true, messages: [{ seq: 2, text: "y" }] });
    const metrics = await scrape((deployment.nodes[2] as { url: string }).url);
    const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
    expect(value(/^interlinked_recovery_total\{[^}]*kind="room"[^}]*result="hit"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(new RegExp(`^interlinked_realtime_connections\\{[^}]*tenant="${t}"[^}]*\\} (\\d+)`, "m"))).toBe(1);
    expect(value(/^interlinked_realtime_events_in_total\{[^}]*event="room:join"[^}]*outcome="ok"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds/m);
  });
}

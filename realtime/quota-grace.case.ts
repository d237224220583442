import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "../core/errors";
import { TenantLimits } from "../db/stores/tenant-limits";
import { defaultQuotas, type Quotas } from "../db/stores/tenants";
import { TenantQuotas, type QuotaEventData } from "./quotas";
import type { KeyedState } from "./state/keyed-state";

/** One node's view of the shared quota state (two calls of `node` share the state, like two nodes). */
export interface GraceBackend {
  state: KeyedState;
  redis?: Redis;
  prefix: string;
}

const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof AppError ? e.code : -1),
  );

/** The overflow grace above 100 % of a quota, on a backend shared by two quota instances ("nodes"). */
export function runQuotaGraceCase(name: string, backend: () => Promise<GraceBackend>): void {
  describe(`quota overflow grace: ${name}`, () => {
    function nodes(b: GraceBackend, quotas: Partial<Quotas>, clock: { now: number }) {
      const events: Array<{ tenant: string } & QuotaEventData> = [];
      const limits = new TenantLimits({ quotas: async () => ({ ...defaultQuotas, ...quotas }) });
      const make = () => new TenantQuotas(limits, b.state, b.redis, b.prefix, (tenant, ev) => events.push({ tenant, ...ev }), () => clock.now);
      const a = make();
      // embedded (no Redis) is one node: its message-rate counter lives in the process
      return { a, b: b.redis ? make() : a, events };
    }
    const settle = () => new Promise((r) => setTimeout(r, 50));

    it("over 100 % of connections: warned and admitted (up to twice the quota) while the grace lasts, on every node; then refused with 3001", async () => {
      const b = await backend();
      const tenant = `grace-conn-${Math.random().toString(36).slice(2)}`;
      const clock = { now: Date.now() };
      const { a, b: other, events } = nodes(b, { maxConnections: 2, overflowGraceSeconds: 60 }, clock);
      expect((await a.acquireConnection(tenant, "s1")).graceUntil).toBeUndefined();
      await a.acquireConnection(tenant, "s2");
      const over = await a.acquireConnection(tenant, "s3");
      expect(over).toMatchObject({ quota: "connections", used: 3, limit: 2, warn: true, graceUntil: clock.now + 60_000 });
      // the other node sees the same grace (same end), and the ceiling of twice the quota
      clock.now += 30_000;
      expect((await other.acquireConnection(tenant, "s4")).graceUntil).toBe(over.graceUntil);
      expect(await codeOf(other.acquireConnection(tenant, "s5"))).toBe(ErrorCode.ConnectionQuota);
      await settle();
      expect(events.filter((e) => e.kind === "warning")).toEqual([{ tenant, kind: "warning", quota: "connections", used: 3, limit: 2 }]);
      expect(events.filter((e) => e.kind === "refused")).toHaveLength(1);
      // grace spent: refused, though under the ceiling
      await other.releaseConnection(tenant, "s4");
      clock.now += 31_000;
      expect(await codeOf(a.acquireConnection(tenant, "s6"))).toBe(ErrorCode.ConnectionQuota);
      // back under the quota: admitted as usual
      await a.releaseConnection(tenant, "s3");
      await a.releaseConnection(tenant, "s2");
      expect((await a.acquireConnection(tenant, "s7")).graceUntil).toBeUndefined();
    });

    it("over 100 % of messages/s: admitted with the grace's end while it lasts, refused with 3002 after; a school with no grace is refused at once", async () => {
      const b = await backend();
      const tenant = `grace-msg-${Math.random().toString(36).slice(2)}`;
      const clock = { now: Date.now() };
      const { a, b: other, events } = nodes(b, { maxMessagesPerSecond: 2, overflowGraceSeconds: 5 }, clock);
      await a.consumeMessage(tenant, 10, 1);
      await other.consumeMessage(tenant, 10, 1);
      const over = await a.consumeMessage(tenant, 10, 1);
      expect(over).toMatchObject({ quota: "messagesPerSecond", warn: true, graceUntil: clock.now + 5_000 });
      expect((await other.consumeMessage(tenant, 10, 1)).graceUntil).toBe(over.graceUntil);
      expect(await codeOf(a.consumeMessage(tenant, 10, 1))).toBe(ErrorCode.MessageRate); // above twice the rate
      await new Promise((r) => setTimeout(r, 1_100)); // a new second of the rate limiter
      clock.now += 6_000; // grace spent
      await a.consumeMessage(tenant, 10, 1);
      await a.consumeMessage(tenant, 10, 1);
      expect(await codeOf(other.consumeMessage(tenant, 10, 1))).toBe(ErrorCode.MessageRate);
      await settle();
      expect(events.map((e) => e.kind)).toEqual(["warning", "refused"]);

      const none = `grace-none-${Math.random().toString(36).slice(2)}`;
      const strict = nodes(b, { maxMessagesPerSecond: 1, overflowGraceSeconds: 0 }, clock);
      await strict.a.consumeMessage(none, 10, 1);
      expect(await codeOf(strict.a.consumeMessage(none, 10, 1))).toBe(ErrorCode.MessageRate);
    });
  });
}

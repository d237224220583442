import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BusRecord, EventBus } from "./event-bus";

/** Collects what a handler receives and resolves when `count` records have arrived. */
function collector(count: number): { records: BusRecord[]; done: Promise<BusRecord[]>; handler: (r: BusRecord[]) => Promise<void> } {
  const records: BusRecord[] = [];
  let resolve!: (r: BusRecord[]) => void;
  const done = new Promise<BusRecord[]>((r) => (resolve = r));
  return {
    records,
    done,
    handler: async (batch) => {
      records.push(...batch);
      if (records.length >= count) resolve(records);
    },
  };
}

/** The EventBus contract; every implementation's test file calls this once. */
export function runEventBusContract(name: string, open: () => Promise<EventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    beforeAll(async () => {
      bus = await open();
    });
    afterAll(async () => {
      await bus.close();
    });

    it("delivers records published before a group subscribed", async () => {
      const topic = `early-${randomUUID()}`;
      await bus.publish(topic, [{ key: "a", value: "1" }, { key: "a", value: "2" }]);
      const c = collector(2);
      const sub = await bus.subscribe({ group: "g1", topic, handler: c.handler });
      expect((await c.done).map((r) => r.value)).toEqual(["1", "2"]);
      await sub.close();
    });

    it("keeps order per key across publishes and gives every group every record", async () => {
      const topic = `order-${randomUUID()}`;
      const a = collector(40);
      const b = collector(40);
      const subA = await bus.subscribe({ group: "ga", topic, handler: a.handler });
      const subB = await bus.subscribe({ group: "gb", topic, handler: b.handler });
      for (let i = 0; i < 20; i++) {
        await bus.publish(topic, [{ key: "k1", value: `k1-${i}` }, { key: "k2", value: `k2-${i}` }]);
      }
      for (const got of [await a.done, await b.done]) {
        for (const key of ["k1", "k2"]) {
          const values = got.filter((r) => r.key === key).map((r) => r.value);
          expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `${key}-${i}`));
        }
      }
      await Promise.all([subA.close(), subB.close()]);
    });

    it("publishes to a prepared topic like to any other (prepare twice is harmless)", async () => {
      const topic = `prepared-${randomUUID()}`;
      await bus.prepare([topic]);
      await bus.prepare([topic]);
      await bus.publish(topic, [{ key: "a", value: "1" }]);
      const c = collector(1);
      const sub = await bus.subscribe({ group: "gp", topic, handler: c.handler });
      expect((await c.done).map((r) => r.value)).toEqual(["1"]);
      await sub.close();
    });

    it("answers ping while open", async () => {
      expect(await bus.ping()).toBe(true);
    });
  });
}

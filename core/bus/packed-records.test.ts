import { describe, expect, it } from "vitest";
import type { BusRecord } from "./event-bus";
import { PACKED_RECORD_MAX_BYTES, PACKED_RECORD_MAX_EVENTS, eventsOfValue, packRecords } from "./packed-records";

const rec = (key: string, n: number, headers?: Record<string, string>): BusRecord => ({ key, value: JSON.stringify({ n }), ...(headers ? { headers } : {}) });
const decoded = (records: BusRecord[]) => records.map((r) => ({ key: r.key, events: eventsOfValue(JSON.parse(r.value)).events }));

describe("packRecords", () => {
  it("packs the records of one key into one record, in order, keys in order of first appearance", () => {
    const packed = packRecords([rec("a", 1), rec("b", 2), rec("a", 3), rec("b", 4), rec("a", 5)]);
    expect(decoded(packed)).toEqual([
      { key: "a", events: [{ n: 1 }, { n: 3 }, { n: 5 }] },
      { key: "b", events: [{ n: 2 }, { n: 4 }] },
    ]);
    expect(packed.every((r) => r.value.startsWith("["))).toBe(true);
  });

  it("leaves a lone record of a key as it was (one event, not an array)", () => {
    const lone = rec("c", 7, { traceparent: "00-x" });
    const packed = packRecords([rec("a", 1), lone, rec("a", 2)]);
    expect(packed[1]).toBe(lone);
    expect(decoded(packed)[0]?.events).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("caps the events of a pack, keeping the order across packs", () => {
    const records = Array.from({ length: 7 }, (_, i) => rec("a", i));
    const packed = packRecords(records, PACKED_RECORD_MAX_BYTES, 3);
    expect(decoded(packed).map((p) => p.events.map((e) => (e as { n: number }).n))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(packed[2]).toBe(records[6]);
  });

  it("caps the bytes of a pack; a single record over the cap goes alone, unchanged", () => {
    const big: BusRecord = { key: "a", value: JSON.stringify({ text: "é".repeat(60) }) }; // 2 bytes a character
    const small = rec("a", 1);
    const cap = 100;
    const packed = packRecords([small, small, big, small], cap);
    expect(packed.every((r) => r === big || Buffer.byteLength(r.value) <= cap)).toBe(true);
    expect(packed.map((r) => eventsOfValue(JSON.parse(r.value)).events.length)).toEqual([2, 1, 1]);
    expect(packed[1]).toBe(big);
    // the default cap is well under Kafka's default max message size (1 MB)
    expect(PACKED_RECORD_MAX_BYTES).toBeLessThanOrEqual(256 * 1024);
    expect(PACKED_RECORD_MAX_EVENTS).toBeGreaterThan(1);
  });

  it("keeps the headers of the first record of each pack", () => {
    const packed = packRecords([rec("a", 1, { traceparent: "first" }), rec("a", 2, { traceparent: "second" }), rec("a", 3)]);
    expect(packed).toHaveLength(1);
    expect(packed[0]?.headers).toEqual({ traceparent: "first" });
    expect(packRecords([rec("a", 1), rec("a", 2, { traceparent: "second" })])[0]?.headers).toBeUndefined();
  });
});

describe("eventsOfValue", () => {
  it("decodes both shapes: one event, or the elements of a packed record", () => {
    expect(eventsOfValue({ n: 1 })).toEqual({ packed: false, events: [{ n: 1 }] });
    expect(eventsOfValue([{ n: 1 }, { n: 2 }])).toEqual({ packed: true, events: [{ n: 1 }, { n: 2 }] });
  });
});

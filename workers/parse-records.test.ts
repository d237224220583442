import { describe, expect, it } from "vitest";
import { packRecords } from "../core/bus/packed-records";
import { newEvent, toRecord } from "../core/contracts/streams";
import { parseRecords } from "./parse-records";

const TENANT = "school-a";
const started = (sessionId: string, user: string) => newEvent("presence.session.started", TENANT, { sessionId, user, role: "student" as const, node: "n1" });
const ended = (sessionId: string, user: string) => newEvent("presence.session.ended", TENANT, { sessionId, user });

describe("parseRecords", () => {
  it("decodes a record of one event and a packed record into the same events, in order", () => {
    const events = [started("s1", "kim"), started("s2", "lee"), ended("s1", "kim")];
    const single = parseRecords("presence", events.map((ev) => toRecord("presence", ev)));
    const records = events.map((ev) => toRecord("presence", ev));
    expect(records.map((r) => r.key)).toEqual([TENANT, TENANT, TENANT]); // the presence stream is keyed by tenant: one pack per school
    const packed = parseRecords("presence", packRecords(records));
    expect(packed.invalid).toEqual([]);
    expect(packed.valid.map((v) => v.event)).toEqual(events);
    expect(packed.valid.map((v) => v.event)).toEqual(single.valid.map((v) => v.event));
    // each element gets a record of its own: the pack's key, its own event as the value
    expect(packed.valid.map((v) => v.record)).toEqual(single.valid.map((v) => v.record));
  });

  it("reports an invalid element of a packed record alone, with the usual reason, and keeps the valid ones", () => {
    const first = started("s1", "kim");
    const last = ended("s1", "kim");
    const bad = { ...started("s2", "lee"), data: { sessionId: "s2" } };
    const value = `[${JSON.stringify(first)},${JSON.stringify(bad)},${JSON.stringify(last)}]`;
    const { valid, invalid } = parseRecords("presence", [{ key: TENANT, value, headers: { traceparent: "00-t" } }]);
    expect(valid.map((v) => v.event.id)).toEqual([first.id, last.id]);
    expect(invalid).toHaveLength(1);
    expect(JSON.parse(invalid[0]?.record.value ?? "")).toEqual(bad);
    expect(invalid[0]?.record.key).toBe(TENANT);
    expect(invalid[0]?.record.headers).toEqual({ traceparent: "00-t" });
    expect(invalid[0]?.reason).toMatch(/^invalid event: data\.\w+: /);
  });

  it("refuses a record that is not JSON and an empty packed record", () => {
    const { valid, invalid } = parseRecords("presence", [
      { key: TENANT, value: "{" },
      { key: TENANT, value: "[]" },
    ]);
    expect(valid).toEqual([]);
    expect(invalid.map((i) => i.reason)).toEqual(["not JSON", "invalid event: event: empty packed record"]);
  });
});

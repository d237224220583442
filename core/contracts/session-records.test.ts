import { describe, expect, it } from "vitest";
import { streams, toRecord } from "./streams";
import { sessionEndedRecord, sessionStartedRecord } from "./session-records";
import type { Role } from "../auth";

/** What the worker reads: the record's key and its value parsed by the stream's schema. */
function read(record: { key: string; value: string }): { key: string; event: unknown } {
  return { key: record.key, event: streams.presence.schema.parse(JSON.parse(record.value)) };
}

describe("session records: the presence stream's records of a node's own sessions", () => {
  it("are what toRecord writes for the same event, for plain values", () => {
    const started = sessionStartedRecord("school-1", "u.1@x", "teacher", "AbC_-0123456789xyzAB", "realtime-0");
    const { key, event } = read(started);
    const parsed = JSON.parse(started.value) as { id: string; at: string };
    expect(key).toBe("school-1");
    expect(event).toEqual({ v: 1, type: "presence.session.started", id: parsed.id, tenant: "school-1", at: parsed.at, data: { sessionId: "AbC_-0123456789xyzAB", user: "u.1@x", role: "teacher", node: "realtime-0" } });
    expect(read(toRecord("presence", JSON.parse(started.value) as never))).toEqual({ key, event });

    const ended = sessionEndedRecord("school-1", "u.1@x", "AbC_-0123456789xyzAB");
    const endedParsed = JSON.parse(ended.value) as { id: string; at: string };
    expect(read(ended)).toEqual({ key: "school-1", event: { v: 1, type: "presence.session.ended", id: endedParsed.id, tenant: "school-1", at: endedParsed.at, data: { sessionId: "AbC_-0123456789xyzAB", user: "u.1@x" } } });
  });

  it("refuse what the schema refuses, as toRecord does (nothing written that a worker would dead-letter)", () => {
    const bad: Array<[string, () => unknown]> = [
      ["tenant with a colon", () => sessionEndedRecord("a:b", "u1", "sid")],
      ["user with NUL", () => sessionEndedRecord("school-1", "u\u00001", "sid")],
      ["session id too long", () => sessionEndedRecord("school-1", "u1", "s".repeat(65))],
      ["session id with NUL", () => sessionStartedRecord("school-1", "u1", "student", "s\u0000", "n")],
      ["unknown role", () => sessionStartedRecord("school-1", "u1", "janitor" as Role, "sid", "n")],
      ["empty node", () => sessionStartedRecord("school-1", "u1", "student", "sid", "")],
      ["node with a lone surrogate", () => sessionStartedRecord("school-1", "u1", "student", "sid", "n\uD800")],
      ["node too long", () => sessionStartedRecord("school-1", "u1", "student", "sid", "n".repeat(129))],
    ];
    for (const [what, build] of bad) expect(build, what).toThrow();
  });

  it("leave to the schema the values outside their plain forms, and accept what it accepts", () => {
    // a session id the schema takes (storable, ≤ 64) but not of the Socket.IO alphabet
    const odd = sessionEndedRecord("school-1", "u1", "sess/ion é");
    expect((read(odd).event as { data: { sessionId: string } }).data.sessionId).toBe("sess/ion é");
    const node = sessionStartedRecord("school-1", "u1", "admin", "sid", "node é 1");
    expect((read(node).event as { data: { node: string } }).data.node).toBe("node é 1");
  });
});

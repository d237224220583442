import { describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "./errors";
import { createLogger, errorFields, type LogLevel } from "./log";

/** A logger writing into an array of parsed records. */
function capture(level: LogLevel = "info") {
  const records: Array<Record<string, unknown>> = [];
  const log = createLogger({ nodeId: "node-a", level, destination: { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) } });
  return { log, records };
}

describe("core/log", () => {
  it("writes one JSON object per record: level name, ISO time, node, pid, msg, and the child's fields", () => {
    const { log, records } = capture();
    log.child({ tenant: "school-a", user: "alice", socket: "s1" }).info({ event: "room:message" }, "hello");
    expect(records).toEqual([
      { level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), node: "node-a", pid: process.pid, tenant: "school-a", user: "alice", socket: "s1", event: "room:message", msg: "hello" },
    ]);
  });

  it("serializes errors with their cause, and an AppError with its code", () => {
    const { log, records } = capture();
    const err = new AppError(ErrorCode.Unavailable, "event bus unavailable", { cause: new Error("broker down") });
    log.error({ ...errorFields(err) }, "publish failed");
    const record = records[0] as { code: number; err: { type: string; message: string; code: number; stack: string } };
    expect(record.code).toBe(ErrorCode.Unavailable);
    expect(record.err).toMatchObject({ type: "AppError", message: expect.stringContaining("event bus unavailable"), code: ErrorCode.Unavailable });
    expect(record.err.stack).toContain("broker down");
  });

  it("drops records under the level; no trace ids while tracing is off", () => {
    const { log, records } = capture("warn");
    log.info("not written");
    log.warn("written");
    expect(records.map((r) => r.msg)).toEqual(["written"]);
    expect(records[0]).not.toHaveProperty("trace_id");
  });
});

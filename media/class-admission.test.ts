import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { admissionOf, decide, dropSocket, emptyAdmission, enqueue, positionOf, waitingList } from "./class-admission";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 9, 0, s)).toISOString();

describe("class admission (waiting room state)", () => {
  it("lets roster members join, makes others wait, and refuses a denied user until the roster lists them", () => {
    let s = emptyAdmission();
    expect(admissionOf(s, "ann", true)).toBe("join");
    expect(admissionOf(s, "bob", false)).toBe("wait");
    s = enqueue(s, { user: "bob", socketId: "s1", since: at(0) });
    s = decide(s, "bob", "deny").state;
    expect(admissionOf(s, "bob", false)).toBe("denied");
    expect(admissionOf(s, "bob", true)).toBe("join");
  });

  it("queues connections in order, one row per user, keeping the first knock's place", () => {
    let s = emptyAdmission();
    s = enqueue(s, { user: "bob", socketId: "s1", since: at(0) });
    s = enqueue(s, { user: "cyd", socketId: "s2", since: at(1) });
    s = enqueue(s, { user: "bob", socketId: "s3", since: at(2) });
    s = enqueue(s, { user: "bob", socketId: "s1", since: at(3) });
    expect(waitingList(s)).toEqual([
      { user: "bob", since: at(0) },
      { user: "cyd", since: at(1) },
    ]);
    expect([positionOf(s, "cyd"), positionOf(s, "zed")]).toEqual([2, 0]);
  });

  it("admits every waiting connection of a user, remembered for the session; a state is plain JSON", () => {
    let s = enqueue(enqueue(emptyAdmission(), { user: "bob", socketId: "s1", since: at(0) }), { user: "bob", socketId: "s2", since: at(1) });
    const decided = decide(s, "bob", "admit");
    expect(decided.told.map((w) => w.socketId)).toEqual(["s1", "s2"]);
    s = decided.state;
    expect(JSON.parse(JSON.stringify(s))).toEqual({ waiting: [], admitted: ["bob"], denied: [] });
    expect(admissionOf(s, "bob", false)).toBe("join");
  });

  it("answers 4000 for a user who is not waiting; a dropped connection leaves the queue", () => {
    expect(() => decide(emptyAdmission(), "ghost", "admit")).toThrow(expect.objectContaining({ code: ErrorCode.NotFound }));
    const s = enqueue(emptyAdmission(), { user: "bob", socketId: "s1", since: at(0) });
    expect(dropSocket(s, "s9").removed).toBe(false);
    const dropped = dropSocket(s, "s1");
    expect([dropped.removed, dropped.state.waiting]).toEqual([true, []]);
  });
});

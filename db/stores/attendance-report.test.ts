import { describe, expect, it } from "vitest";
import { attendanceReport, withRoster } from "./attendance-report";

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 9, 0, s));

describe("attendanceReport", () => {
  it("sums sessions, counts reconnects and keeps an open session running to now", () => {
    const rows = attendanceReport(
      [
        { user: "ann", kind: "joined", at: t(0) },
        { user: "bob", kind: "joined", at: t(5) },
        { user: "ann", kind: "left", at: t(30) },
        { user: "ann", kind: "joined", at: t(40) },
        { user: "ann", kind: "left", at: t(50) },
        { user: "bob", kind: "left", at: t(10) },
        { user: "cyd", kind: "joined", at: t(20) },
      ],
      t(60),
    );
    expect(rows).toEqual([
      { user: "ann", firstJoin: t(0).toISOString(), lastLeave: t(50).toISOString(), secondsPresent: 40, reconnects: 1, present: false },
      { user: "bob", firstJoin: t(5).toISOString(), lastLeave: t(10).toISOString(), secondsPresent: 5, reconnects: 0, present: false },
      { user: "cyd", firstJoin: t(20).toISOString(), lastLeave: null, secondsPresent: 40, reconnects: 0, present: true },
    ]);
  });

  it("counts overlapping sessions of one user once and ignores a leave without a join", () => {
    const rows = attendanceReport(
      [
        { user: "dan", kind: "left", at: t(0) },
        { user: "dan", kind: "joined", at: t(10) },
        { user: "dan", kind: "joined", at: t(15) },
        { user: "dan", kind: "left", at: t(20) },
        { user: "dan", kind: "left", at: t(30) },
      ],
      t(60),
    );
    expect(rows).toEqual([{ user: "dan", firstJoin: t(10).toISOString(), lastLeave: t(30).toISOString(), secondsPresent: 20, reconnects: 1, present: false }]);
  });

  it("withRoster: members who joined, guests off the roster, absent members who never joined, sorted", () => {
    const rows = attendanceReport(
      [
        { user: "tea", kind: "joined", at: t(0) },
        { user: "ann", kind: "joined", at: t(1) },
        { user: "zoe", kind: "joined", at: t(2) },
      ],
      t(10),
    );
    const marked = withRoster(rows, ["ann", "bob"], "tea");
    expect(marked.map((r) => [r.user, r.status, r.firstJoin === null])).toEqual([
      ["ann", "member", false],
      ["bob", "absent", true],
      ["tea", "member", false],
      ["zoe", "guest", false],
    ]);
    expect(marked.find((r) => r.user === "bob")).toMatchObject({ secondsPresent: 0, present: false, reconnects: 0 });
  });
});

import { describe, expect, it } from "vitest";
import { attendanceCsv } from "./attendance-csv";

describe("attendance CSV", () => {
  it("writes a header and one CRLF line per participant, empty for a missing leave", () => {
    const csv = attendanceCsv([
      { user: "ada", firstJoin: "2026-11-29T10:00:00.000Z", lastLeave: null, secondsPresent: 61, reconnects: 0, present: true },
      { user: "ben", firstJoin: "2026-11-29T10:00:01.000Z", lastLeave: "2026-11-29T10:05:00.000Z", secondsPresent: 299, reconnects: 2, present: false },
    ]);
    expect(csv).toBe(
      "user,firstJoin,lastLeave,secondsPresent,reconnects,present\r\n" +
        "ada,2026-11-29T10:00:00.000Z,,61,0,true\r\n" +
        "ben,2026-11-29T10:00:01.000Z,2026-11-29T10:05:00.000Z,299,2,false\r\n",
    );
  });

  it("quotes separators and quotes, and neutralises formula-looking text", () => {
    const row = { firstJoin: "x", lastLeave: null, secondsPresent: 0, reconnects: 0, present: false };
    const csv = attendanceCsv([
      { ...row, user: 'a,"b"' },
      { ...row, user: "=1+1" },
      { ...row, user: "@cmd" },
    ]);
    expect(csv.split("\r\n").slice(1, 4).map((l) => l.split(",x,")[0])).toEqual(['"a,""b"""', "'=1+1", "'@cmd"]);
  });

  it("is only the header for a class nobody joined", () => {
    expect(attendanceCsv([])).toBe("user,firstJoin,lastLeave,secondsPresent,reconnects,present\r\n");
  });

  it("adds a status column for a class with a roster, an absent member with empty times", () => {
    const csv = attendanceCsv([
      { user: "amy", firstJoin: null, lastLeave: null, secondsPresent: 0, reconnects: 0, present: false, status: "absent" },
      { user: "gus", firstJoin: "2026-11-29T10:00:00.000Z", lastLeave: null, secondsPresent: 5, reconnects: 0, present: true, status: "guest" },
    ]);
    expect(csv).toBe("user,firstJoin,lastLeave,secondsPresent,reconnects,present,status\r\n" + "amy,,,0,0,false,absent\r\n" + "gus,2026-11-29T10:00:00.000Z,,5,0,true,guest\r\n");
  });
});

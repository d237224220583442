import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import { parseByteRange } from "./byte-range";

const refused = (header: string, size: number) => {
  try {
    parseByteRange(header, size);
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
};

describe("HTTP Range parsing", () => {
  it("reads a-b, a- and -n, clamping the end to the object", () => {
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseByteRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange("bytes=90-500", 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 });
  });

  it("refuses (1009, 416) ranges outside the object, malformed ones and several ranges", () => {
    for (const h of ["bytes=100-", "bytes=5-4", "bytes=-0", "bytes=-", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes=99999999999999999999-"]) {
      expect(refused(h, 100), h).toBe(ErrorCode.RangeNotSatisfiable);
    }
    expect(refused("bytes=0-", 0)).toBe(ErrorCode.RangeNotSatisfiable);
  });
});

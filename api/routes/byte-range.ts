import type { ByteRange } from "../../core/recording-storage";
import { AppError, ErrorCode } from "../../core/errors";

/**
 * Parses an HTTP `Range` header against an object of `size` bytes (RFC 9110 §14): one `bytes=` range,
 * `a-b`, `a-` or `-n` (suffix). No header → undefined (the whole object). A malformed header, several
 * ranges, or one starting past the end → 1009 RangeNotSatisfiable (416). `b` past the end is clamped.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = () => new AppError(ErrorCode.RangeNotSatisfiable, `range ${JSON.stringify(header.slice(0, 64))} is not satisfiable for ${size} bytes`);
  if (!m || (m[1] === "" && m[2] === "")) throw bad();
  const last = size - 1;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n === 0 || size === 0) throw bad();
    return { start: Math.max(0, size - n), end: last };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? last : Math.min(Number(m[2]), last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > last || end < start) throw bad();
  return { start, end };
}

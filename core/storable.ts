import { z } from "zod";

/**
 * Values every store accepts — the rule behind "acked means stored": whatever the edge (socket events,
 * REST bodies and query strings, bus envelopes) accepts, PostgreSQL, PGlite and Redis accept too, so a
 * value is refused with a numbered error at the door instead of being acked and then dead-lettered.
 *
 * - Text: no U+0000 (PostgreSQL `text` and `jsonb` refuse it), no leading U+FEFF (PGlite drops it), and no unpaired UTF-16 surrogate (it has no
 *   UTF-8 form: PostgreSQL refuses it, Redis clients and JSON encoders replace it with U+FFFD, so history
 *   replayed from Redis would differ from the stored row).
 * - JSON objects: every key and string inside is storable text; numbers are finite; the serialized size
 *   is bounded.
 * - Date-times: RFC 3339 with `Z` or an offset, years 1000–9999. PostgreSQL has no year 0000, and a
 *   timestamp before year 100 is stored but read back wrong by the driver's date parser (year 0001 came
 *   back as 2015, year 0013 as an invalid date), so the edge keeps to the range every layer round-trips.
 */

/**
 * Storable text, in two parts. No U+0000, and no U+FEFF first (PGlite decodes text with a UTF-8 decoder
 * that drops a leading byte order mark, so "\uFEFFx" would come back as "x"): a pattern without lookaround,
 * which the OpenAPI document states (JSON Schema tools and fuzzers generate from it). No unpaired surrogate:
 * a pattern too, but not one for the document, as JSON Schema validators that hold strings as UTF-8 (Rust's,
 * and the fuzzer's) cannot compile a surrogate in a pattern, and their strings never contain one anyway.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what PostgreSQL refuses
const NO_NUL = /^(?:[^\u0000\uFEFF][^\u0000]*)?$/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when every store keeps `s` exactly as given. */
export function isStorableText(s: string): boolean {
  return NO_NUL.test(s) && !UNPAIRED_SURROGATE.test(s);
}

const TEXT_MESSAGE = "may not contain U+0000 or an unpaired UTF-16 surrogate, nor start with U+FEFF";

/** A string every store accepts (see the module comment); chain `.min`/`.max` as with `z.string()`. */
export function storableText(): z.ZodString {
  return z
    .string()
    .regex(NO_NUL, TEXT_MESSAGE)
    .refine((s) => !UNPAIRED_SURROGATE.test(s), TEXT_MESSAGE);
}

/** Largest JSON object accepted as `data` (serialized, UTF-8 bytes). */
export const MAX_JSON_BYTES = 16_384;

function jsonIssue(value: unknown, path: Array<string | number>, depth: number): { path: Array<string | number>; message: string } | undefined {
  if (depth > 32) return { path, message: "nested deeper than 32 levels" };
  if (typeof value === "string") return isStorableText(value) ? undefined : { path, message: TEXT_MESSAGE };
  if (typeof value === "number") return Number.isFinite(value) ? undefined : { path, message: "numbers must be finite" };
  if (value === null || typeof value === "boolean") return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = jsonIssue(value[i], [...path, i], depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (!isStorableText(k)) return { path: [...path, k], message: `keys ${TEXT_MESSAGE}` };
      const issue = jsonIssue(v, [...path, k], depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  return { path, message: `not JSON (${typeof value})` };
}

/** A JSON object every store accepts, at most MAX_JSON_BYTES serialized. */
export function storableJsonObject(): z.ZodType<Record<string, unknown>> {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const issue = jsonIssue(value, [], 0);
    if (issue) return void ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
    if (bytes > MAX_JSON_BYTES) ctx.addIssue({ code: "custom", message: `is ${bytes} bytes serialized; the limit is ${MAX_JSON_BYTES}` });
  });
}

const YEAR = "[1-9]\\d{3}";
/** Leap years 1000–9999 (divisible by 4, centuries only by 400). */
const LEAP_YEAR = "(?:[1-9]\\d(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)";
const DATE = `(?:${LEAP_YEAR}-02-29|${YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8])))`;
const TIME = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)";
/** RFC 3339 date-times with years 1000–9999, exactly: real calendar dates, seconds, `Z` or an offset. */
export const DATE_TIME_PATTERN = new RegExp(`^${DATE}T${TIME}$`);

const MIN_TIME = Date.parse("1000-01-01T00:00:00Z");
const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * An RFC 3339 date-time (`Z` or an offset such as `+01:00`) within years 1000–9999. The pattern (which the
 * OpenAPI document states) fixes the written year; the instant must also fall within those years, which only
 * an offset on the first or last day of the range can break (`1000-01-01T00:30:00+01:00`).
 */
export function storableDateTime() {
  return z
    .string()
    .regex(DATE_TIME_PATTERN, "must be an RFC 3339 date-time (seconds, `Z` or an offset such as +01:00) within years 1000–9999")
    .refine((s) => {
      const t = Date.parse(s);
      return t >= MIN_TIME && t <= MAX_TIME;
    }, "must be within years 1000–9999");
}

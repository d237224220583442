import { AppError } from "../core/errors";

/**
 * Whether a database error may go away by itself (connection loss, restart, serialization failure,
 * deadlock, resource shortage) or will fail the same way again (bad data, constraint, permission).
 * SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 * An AppError (raised by our own code, e.g. an event type without a writer) is retriable only when it
 * is `temporary`; anything else without a code may be transient and counts as retriable.
 */
export function isRetriableDbError(err: unknown): boolean {
  if (err instanceof AppError) return err.temporary;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const cause = typeof err === "object" && err !== null ? (err as { cause?: unknown }).cause : undefined;
  if (typeof code !== "string") return cause !== undefined ? isRetriableDbError(cause) : true;
  if (/^E[A-Z]+$/.test(code)) return true; // node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT …
  if (code.length !== 5) return cause !== undefined ? isRetriableDbError(cause) : true;
  const cls = code.slice(0, 2);
  return cls === "08" || cls === "53" || cls === "57" || cls === "58" || code === "40001" || code === "40P01" || code === "55P03";
}

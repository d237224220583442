import type { ErrorBody } from "../../core/errors";
import { ErrorCode, TEMPORARY_CODES, codeName, type ErrorCodeName } from "./codes";

/**
 * Numbered errors as typed exceptions. Every failure the SDK reports — a server `{ error }` ack, a refused
 * handshake (`connect_error` with `data: { code, message }`), an `app:disconnect`, a request that got no
 * ack in time, a request on a closed client — is an `InterlinkedError` with the server's numbering
 * (docs/PROTOCOL.md), so callers switch on `code` and retry when `temporary` says so.
 */
export class InterlinkedError extends Error {
  /** The numbered code (1000–5999), `ErrorCode` in ./codes. */
  readonly code: number;
  /** True when retrying the same request later may succeed. */
  readonly temporary: boolean;
  /** How long to wait before a retry, when the server said (REST `Retry-After`) or the SDK knows a backoff. */
  readonly retryAfterMs?: number;
  /** The event (or REST route) that failed, when known. */
  readonly event?: string;

  constructor(code: number, message: string, options: { temporary?: boolean; retryAfterMs?: number; event?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "InterlinkedError";
    this.code = code;
    this.temporary = options.temporary ?? TEMPORARY_CODES.has(code);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.event !== undefined) this.event = options.event;
  }

  /** The code's name (`"InvalidRoomName"`), or undefined for a code newer than this SDK. */
  get codeName(): ErrorCodeName | undefined {
    return codeName(this.code);
  }
}

/** True for an InterlinkedError (also across bundle copies: checks the shape, not only the prototype). */
export function isInterlinkedError(value: unknown): value is InterlinkedError {
  if (value instanceof InterlinkedError) return true;
  if (!(value instanceof Error) || value.name !== "InterlinkedError") return false;
  const v = value as Error & { code?: unknown; temporary?: unknown };
  return typeof v.code === "number" && typeof v.temporary === "boolean";
}

/** True when `value` is the wire shape `{ code: number, message: string, temporary?: true }`. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { code?: unknown; message?: unknown };
  return typeof v.code === "number" && Number.isInteger(v.code) && typeof v.message === "string";
}

/** An InterlinkedError from a server error body (ack `{ error }`, REST body, `connect_error.data`). */
export function fromErrorBody(body: ErrorBody, context: { event?: string; retryAfterMs?: number } = {}): InterlinkedError {
  const said = typeof body.retryAfterMs === "number" && Number.isFinite(body.retryAfterMs) && body.retryAfterMs >= 0 ? body.retryAfterMs : undefined;
  const retryAfterMs = context.retryAfterMs ?? said ?? (body.code === ErrorCode.SocketRate ? 1_000 : undefined);
  return new InterlinkedError(body.code, body.message, {
    temporary: body.temporary === true || TEMPORARY_CODES.has(body.code),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(context.event === undefined ? {} : { event: context.event }),
  });
}

/**
 * Any thrown value as an InterlinkedError: server bodies keep their code; socket.io-client's ack timeout
 * becomes 5002 (temporary), a disconnect before the ack 5001 (temporary); anything else 5000 with the
 * original as `cause`.
 */
export function toInterlinkedError(err: unknown, event?: string): InterlinkedError {
  if (isInterlinkedError(err)) return err;
  const ctx = event === undefined ? {} : { event };
  if (isErrorBody(err)) return fromErrorBody(err, ctx);
  if (err instanceof Error && isErrorBody((err as Error & { data?: unknown }).data)) {
    return fromErrorBody((err as Error & { data: ErrorBody }).data, ctx);
  }
  if (err instanceof Error && /socket has been disconnected/i.test(err.message)) {
    return new InterlinkedError(ErrorCode.Unavailable, `disconnected before "${event ?? "request"}" was answered`, { ...ctx, temporary: true, cause: err });
  }
  if (err instanceof Error && /operation has timed out/i.test(err.message)) {
    return new InterlinkedError(ErrorCode.Timeout, `no answer to "${event ?? "request"}" in time`, { ...ctx, temporary: true, cause: err });
  }
  if (err instanceof Error && event === "connect") {
    // socket.io-client's own handshake failures (no server refusal): the node was slow or unreachable
    if (err.message === "timeout") return new InterlinkedError(ErrorCode.Timeout, "the server did not answer the handshake in time", { ...ctx, temporary: true, cause: err });
    return new InterlinkedError(ErrorCode.Unavailable, `could not reach the server (${err.message})`, { ...ctx, temporary: true, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InterlinkedError(ErrorCode.Internal, message, { ...ctx, temporary: false, cause: err });
}

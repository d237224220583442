/**
 * Numbered error codes shared by the socket tier and the API (docs/PROTOCOL.md lists them).
 *
 * Ranges, in the manner of Centrifuge's errors.go / disconnect.go:
 * - 1000–1999 request errors: the client sent something we refuse; retrying the same request fails again.
 * - 2000–2999 auth errors: missing, invalid or expired credentials, or a role that may not do this.
 * - 3000–3999 quota and rate errors: a tenant is over one of its limits; temporary.
 * - 4000–4999 state errors: the target does not exist or is not in a state that allows this.
 * - 5000–5999 server errors: something on our side failed; `temporary` says whether a retry may succeed.
 */
import { classifyDependencyError } from "./dependency-errors";
export const ErrorCode = {
  BadRequest: 1000,
  InvalidPayload: 1001,
  UnknownEvent: 1002,
  PayloadTooLarge: 1003,
  InvalidRoomName: 1004,
  NotFoundRoute: 1005,
  InvalidMediaParameters: 1006,
  TooManySubscriptions: 1007,
  MethodNotAllowed: 1008,
  /** An HTTP Range outside the object (answered 416). */
  RangeNotSatisfiable: 1009,

  Unauthorized: 2000,
  TokenInvalid: 2001,
  TokenExpired: 2002,
  Forbidden: 2003,
  Muted: 2004,
  NotSpeaker: 2005,
  TokenRevoked: 2006,

  RateLimited: 3000,
  ConnectionQuota: 3001,
  MessageRate: 3002,
  SocketRate: 3003,
  BroadcastTooLarge: 3004,

  NotFound: 4000,
  NotInRoom: 4001,
  Conflict: 4002,
  InProgress: 4003,
  ClassNotLive: 4004,
  ClassEnded: 4005,
  NotInClass: 4006,
  RemovedFromClass: 4007,
  /** A teacher denied the caller's request to join the class (waiting room). */
  AdmissionDenied: 4010,

  Internal: 5000,
  Unavailable: 5001,
  Timeout: 5002,
  SlowConsumer: 5003,
  MediaUnavailable: 5004,
  Overloaded: 5005,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const temporaryCodes = new Set<number>([
  ErrorCode.RateLimited, ErrorCode.ConnectionQuota, ErrorCode.MessageRate, ErrorCode.SocketRate,
  ErrorCode.InProgress, ErrorCode.Unavailable, ErrorCode.Timeout, ErrorCode.SlowConsumer, ErrorCode.MediaUnavailable, ErrorCode.Overloaded,
]);

/** The HTTP status the API answers with for a code. */
export function httpStatusOf(code: number): number {
  if (code === ErrorCode.PayloadTooLarge) return 413;
  if (code === ErrorCode.NotFoundRoute || code === ErrorCode.NotFound) return 404;
  if (code === ErrorCode.MethodNotAllowed) return 405;
  if (code === ErrorCode.RangeNotSatisfiable) return 416;
  if (code >= 1000 && code < 2000) return 400;
  if (code === ErrorCode.Forbidden) return 403;
  if (code >= 2000 && code < 3000) return 401;
  if (code >= 3000 && code < 4000) return 429;
  if (code >= 4000 && code < 5000) return 409;
  if (code === ErrorCode.Unavailable) return 503;
  if (code === ErrorCode.Timeout) return 504;
  return 500;
}

/**
 * The wire shape of every error: socket acks `{ error }`, API bodies `{ error }`. `retryAfterMs`, when
 * present, is how long the server asks the client to wait before it retries (a refusal of a node over
 * capacity says it; REST also sends it as `Retry-After`, in whole seconds).
 */
export interface ErrorBody {
  code: number;
  message: string;
  temporary?: true;
  retryAfterMs?: number;
}

/** An error that carries a numbered code; `temporary` marks it retriable (kafkajs' `retriable`). */
export class AppError extends Error {
  readonly code: ErrorCodeValue;
  readonly temporary: boolean;
  /** How long the client should wait before a retry, ms (on the wire as `retryAfterMs`; REST `Retry-After`). */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown; temporary?: boolean; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.temporary = options?.temporary ?? temporaryCodes.has(code);
    this.retryAfterMs = options?.retryAfterMs;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = this.temporary ? { code: this.code, message: this.message, temporary: true } : { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

/**
 * An AppError built without capturing a stack trace: for refusals a node answers many times a second
 * under load (a refusal is an answer, not a bug, and its stack is never logged). Capturing the stack was
 * 6 % of a saturated node's main thread while it refused messages (CPU profile of `npm run chaos`).
 */
export function refusal(code: ErrorCodeValue, message: string, options?: { temporary?: boolean; retryAfterMs?: number }): AppError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AppError(code, message, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Any thrown value as an AppError: a dependency that is down or slow (core/dependency-errors.ts) becomes
 * 5001 Unavailable or 5002 Timeout, both temporary; anything else unknown becomes 5000 (a bug: callers log
 * it with its stack). Neither leaks internals beyond the kind of dependency.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const failure = classifyDependencyError(err);
  if (failure?.kind === "timeout") return new AppError(ErrorCode.Timeout, `${failure.dependency} did not answer in time: retry`, { cause: err });
  if (failure) return new AppError(ErrorCode.Unavailable, `${failure.dependency} unavailable: retry`, { cause: err });
  return new AppError(ErrorCode.Internal, "internal error", { cause: err });
}

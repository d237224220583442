/**
 * The server's numbered error codes (docs/PROTOCOL.md), as values the SDK can ship to a browser without
 * pulling server code in. sdk/errors.test.ts checks that this table equals core/errors.ts `ErrorCode` and
 * that `TEMPORARY_CODES` marks exactly the codes the server marks temporary.
 */
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

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** Codes where retrying the same request later may succeed (the server marks them `temporary`). */
export const TEMPORARY_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.RateLimited,
  ErrorCode.ConnectionQuota,
  ErrorCode.MessageRate,
  ErrorCode.SocketRate,
  ErrorCode.InProgress,
  ErrorCode.Unavailable,
  ErrorCode.Timeout,
  ErrorCode.SlowConsumer,
  ErrorCode.MediaUnavailable,
  ErrorCode.Overloaded,
]);

/** The name of a code (`1004` → `"InvalidRoomName"`), or undefined for a code this SDK does not know. */
export function codeName(code: number): ErrorCodeName | undefined {
  return (Object.keys(ErrorCode) as ErrorCodeName[]).find((name) => ErrorCode[name] === code);
}

import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from "pino";
import { mapStack } from "./stack-map";
import { AppError } from "./errors";
import { traceFields } from "./tracing";

/** pino's levels, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A structured logger (pino): `log.info({ field }, "message")`, `log.child({ tenant })`. */
export type Logger = PinoLogger;

/**
 * Field names used across the code base, so every record of one kind can be found with one query:
 * `node` (bound on the root), `tenant`, `user`, `socket` (Socket.IO id), `requestId` (X-Request-Id),
 * `event` (socket event), `stream`, `code` (AppError code), `err` (serialized error), `trace_id` / `span_id`
 * (when tracing is on and a span is active).
 */
export type LogFields = {
  node?: string;
  tenant?: string;
  user?: string;
  socket?: string;
  requestId?: string;
  event?: string;
  stream?: string;
  code?: number;
  err?: unknown;
  [key: string]: unknown;
};

export interface LoggerOptions {
  /** Bound as `node` on every record. */
  nodeId: string;
  level: LogLevel;
  /** Where JSON lines go. Default stdout. */
  destination?: DestinationStream;
}

/**
 * Errors keep pino's standard shape (type, message, stack, cause); an AppError adds its `code`. The stack's
 * frames are at their source positions (core/stack-map.ts), whether or not Node maps stacks itself.
 */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = stdSerializers.err(err) as unknown as Record<string, unknown>;
  if (typeof out.stack === "string") out.stack = mapStack(out.stack);
  if (err instanceof AppError) out.code = err.code;
  return out;
}

/**
 * The root logger of one node: one JSON object per line with `level` as a name ("info"), `time` as
 * ISO-8601, `node` and `pid` bound, `trace_id` / `span_id` inside a recorded span, and `msg`. Children (`log.child({ tenant, user })`) add context.
 * Writes are synchronous to stdout (pino's default destination), so nothing is lost on exit.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { node: options.nodeId, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      // the active span's ids when tracing is on, so a log line leads to its trace
      mixin: traceFields,
    },
    options.destination,
  );
}

let fallback: Logger | undefined;

/**
 * The logger of parts built without one (tests and tools constructing a bus or a database directly):
 * level info, `node` "-". Processes started by app/ pass their node's logger everywhere instead.
 */
export function defaultLogger(): Logger {
  fallback ??= createLogger({ nodeId: "-", level: "info" });
  return fallback;
}

/** `{ err }` for a log record, with `code` when it is an AppError (so records can be filtered by code). */
export function errorFields(err: unknown): { err: unknown; code?: number } {
  return err instanceof AppError ? { err, code: err.code } : { err };
}

import type { Metrics } from "../core/metrics/registry";
import { AppError, ErrorCode, toAppError } from "../core/errors";
import { inbound, type AckOf, type InboundEvent, type Payload } from "../core/events";
import { errorFields, type Logger } from "../core/log";
import { Attr, SpanKind, inSpan, recordFailure } from "../core/tracing";
import { validationError } from "../core/validation";
import type { RealtimeSocket } from "./types";

type AckFn = (response: unknown) => void;

/** A logger for one socket's records: tenant, user and socket id bound (built only when something is logged). */
export function socketLogger(log: Logger, socket: RealtimeSocket): Logger {
  const p = socket.data.principal;
  return log.child({ tenant: p?.tenant, user: p?.user, socket: socket.id });
}

/**
 * Answers an event with an error: through its ack when it has one, else as `app:error`. Internal errors
 * (5000) are logged with the socket's tenant, user and id, the event and the cause.
 */
export function replyError(socket: RealtimeSocket, event: string, ack: AckFn | undefined, err: unknown, log: Logger): AppError {
  const appError = toAppError(err);
  if (appError.code === ErrorCode.Internal) socketLogger(log, socket).error({ event, ...errorFields(appError.cause ?? appError), code: appError.code }, "realtime: event failed");
  if (ack) ack({ error: appError.toBody() });
  else socket.emit("app:error", { event, error: appError.toBody() });
  return appError;
}

/** A fixed-window count of a socket's inbound events; past `perSecond` events are refused with 3003. */
export class SocketRate {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly perSecond: number) {}

  take(): void {
    const now = Date.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count > this.perSecond) throw new AppError(ErrorCode.SocketRate, `more than ${this.perSecond} events per second on this connection`);
  }
}

type Handler = (payload: never) => Promise<unknown>;
/** What every handler of a socket shares: its rate, the node's metrics and logger. */
export type DispatchContext = { rate: SocketRate; metrics: Metrics; log: Logger };
type Dispatch = { ctx: DispatchContext; handlers: Map<string, Handler> };
const HANDLERS = Symbol("interlinked.handlers");

/**
 * Registers a validated, never-throwing handler for an inbound event: the socket's event rate is
 * counted, the payload parsed with the event's schema (core/events.ts), the result sent as the ack,
 * and every failure becomes `{ error: { code, message } }`. Each event runs in a server span
 * `realtime <event>` (tenant, user, socket id; failed on 5xxx) and its time to the ack is observed in
 * `interlinked_realtime_ack_duration_seconds`.
 *
 * A socket's handlers live in one map read by one `onAny` listener, rather than one listener closure
 * per event: with ~20 events that is ~8 KB less per connection (each closure also gets a `name`
 * property store from tsx/esbuild's keepNames).
 */
export function handle<E extends InboundEvent>(
  socket: RealtimeSocket,
  ctx: DispatchContext,
  event: E,
  handler: (payload: Payload<E>) => Promise<AckOf[E]>,
): void {
  const holder = socket as unknown as { [HANDLERS]?: Dispatch };
  let dispatch = holder[HANDLERS];
  if (!dispatch) {
    const created: Dispatch = { ctx, handlers: new Map() };
    holder[HANDLERS] = dispatch = created;
    socket.onAny((name: string, ...args: unknown[]) => {
      const found = created.handlers.get(name);
      if (found) run(socket, created.ctx, name, found, args);
    });
  }
  dispatch.handlers.set(event, handler as Handler);
}

function run(socket: RealtimeSocket, ctx: DispatchContext, event: string, handler: Handler, args: unknown[]): void {
  const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckFn) : undefined;
  const started = performance.now();
  socket.data.inflight = (socket.data.inflight ?? 0) + 1;
  const p = socket.data.principal;
  const attributes = { [Attr.socketEvent]: event, [Attr.tenant]: p.tenant, [Attr.user]: p.user, [Attr.socketId]: socket.id };
  void inSpan(`realtime ${event}`, { kind: SpanKind.SERVER, attributes }, async (span) => {
    try {
      ctx.rate.take();
      await socket.data.ready;
      const parsed = inbound[event as InboundEvent].safeParse(args[0]);
      if (!parsed.success) throw validationError(parsed.error);
      const result = await handler(parsed.data as never);
      ack?.(result);
      ctx.metrics.realtimeEventsIn.inc({ event, outcome: "ok" });
    } catch (err) {
      const appError = replyError(socket, event, ack, err, ctx.log);
      span.setAttribute(Attr.errorCode, appError.code);
      if (appError.code >= ErrorCode.Internal) recordFailure(span, appError.cause ?? appError);
      ctx.metrics.realtimeEventsIn.inc({ event, outcome: String(appError.code) });
      if (appError.code >= 3000 && appError.code < 4000) ctx.metrics.quotaRefusals.inc({ quota: String(appError.code) });
    } finally {
      socket.data.inflight = (socket.data.inflight ?? 1) - 1;
      ctx.metrics.realtimeAckSeconds.observe({ event }, (performance.now() - started) / 1000);
    }
  });
}

/** Answers every event that is not one of `known` (default: the `/` namespace's) with 1002 instead of ignoring it. */
export function rejectUnknownEvents(socket: RealtimeSocket, { metrics, log }: { metrics: Metrics; log: Logger }, known: object = inbound): void {
  socket.onAny((event: string, ...args: unknown[]) => {
    if (Object.hasOwn(known, event)) return;
    const last = args[args.length - 1];
    replyError(socket, String(event), typeof last === "function" ? (last as AckFn) : undefined, new AppError(ErrorCode.UnknownEvent, `unknown event "${String(event)}"`), log);
    metrics.realtimeEventsIn.inc({ event: "unknown", outcome: String(ErrorCode.UnknownEvent) });
  });
}

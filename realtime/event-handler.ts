import type { z } from "zod";
import type { Metrics } from "../core/metrics/registry";
import { AppError, ErrorCode, toAppError } from "../core/errors";
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

/** An inbound event map: event name → zod schema of its payload (core/events.ts, core/class-signaling.ts). */
export type EventSchemas = Readonly<Record<string, z.ZodType>>;

/** What the dispatch of one socket counts with and logs to. */
export interface DispatchContext {
  rate: SocketRate;
  metrics: Metrics;
  log: Logger;
}

type Handler = (payload: never) => Promise<unknown>;

/**
 * The one dispatch loop of every namespace's inbound events (`/` and `/class`). For each event:
 * the socket's event rate is counted, the connection's setup awaited (`socket.data.ready`, when set),
 * the payload parsed with the event's schema, the handler's result sent as the ack, and every failure
 * answered as `{ error: { code, message } }` (through the ack, else as `app:error`). Events that are
 * not in the namespace's schema map are answered with 1002; known events without a handler are ignored.
 * Each event runs in a server span `realtime <event>` (tenant, user, socket id; failed on 5xxx) and its
 * time to the ack is observed in `interlinked_realtime_ack_duration_seconds`.
 *
 * A socket's handlers live in one map read by one `onAny` listener, rather than one listener closure
 * per event: with ~20 events that is ~8 KB less per connection (under tsx each closure also gets a
 * `name` property store from esbuild's keepNames, which the production build leaves off).
 */
export class EventDispatcher<M extends EventSchemas, A extends { [E in keyof M]: unknown }> {
  private readonly handlers = new Map<string, Handler>();

  constructor(
    private readonly socket: RealtimeSocket,
    private readonly schemas: M,
    private readonly ctx: DispatchContext,
    /** False: the caller feeds events through `dispatch` (a listener shared by a node's sockets, see lazySocketDispatch). */
    listen = true,
  ) {
    if (listen) socket.onAny((event: string, ...args: unknown[]) => this.dispatch(event, args));
  }

  /** Registers the handler of an event; its payload is the parsed payload, its result the ack. */
  on<E extends keyof M & string>(event: E, handler: (payload: z.output<M[E]>) => Promise<A[E]>): void {
    this.handlers.set(event, handler as Handler);
  }

  /** Handles one inbound event (what the `onAny` listener calls). */
  dispatch(event: string, args: unknown[]): void {
    const handler = this.handlers.get(event);
    if (handler) this.run(event, handler, args);
    else if (!Object.hasOwn(this.schemas, event)) this.rejectUnknown(event, args);
  }

  private run(event: string, handler: Handler, args: unknown[]): void {
    const { socket, ctx } = this;
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckFn) : undefined;
    const started = performance.now();
    socket.data.inflight = (socket.data.inflight ?? 0) + 1;
    const p = socket.data.principal;
    const attributes = { [Attr.socketEvent]: event, [Attr.tenant]: p?.tenant, [Attr.user]: p?.user, [Attr.socketId]: socket.id };
    void inSpan(`realtime ${event}`, { kind: SpanKind.SERVER, attributes }, async (span) => {
      try {
        ctx.rate.take();
        await socket.data.ready;
        const parsed = (this.schemas[event] as z.ZodType).safeParse(args[0]);
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

  /** Answers an event that is not in the namespace's map with 1002 instead of ignoring it. */
  private rejectUnknown(event: string, args: unknown[]): void {
    const last = args[args.length - 1];
    replyError(this.socket, String(event), typeof last === "function" ? (last as AckFn) : undefined, new AppError(ErrorCode.UnknownEvent, `unknown event "${String(event)}"`), this.ctx.log);
    this.ctx.metrics.realtimeEventsIn.inc({ event: "unknown", outcome: String(ErrorCode.UnknownEvent) });
  }
}

/** A socket's dispatch once built (not in `socket.data`: that is serialized when another node fetches the socket). */
const dispatches = new WeakMap<RealtimeSocket, { dispatch(event: string, args: unknown[]): void }>();

/**
 * One `onAny` listener for all of a node's sockets of a namespace (Socket.IO calls it with the socket as
 * `this`): a socket's dispatcher, rate counter and handler table are built by `setup` at its first
 * inbound event and kept beside the socket (a WeakMap), so an idle socket carries no handler closures at
 * all, and `socket.data` stays plain data (`fetchSockets` on another node sends it as JSON).
 */
export function lazySocketDispatch(setup: (socket: RealtimeSocket) => { dispatch(event: string, args: unknown[]): void }): (this: RealtimeSocket, event: string, ...args: unknown[]) => void {
  return function onAnyEvent(this: RealtimeSocket, event: string, ...args: unknown[]): void {
    let built = dispatches.get(this);
    if (!built) {
      built = setup(this);
      dispatches.set(this, built);
    }
    built.dispatch(event, args);
  };
}

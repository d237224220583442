import type { z } from "zod";
import { AppError, ErrorCode, toAppError } from "../core/errors";
import { validationError } from "../core/validation";
import type { RealtimeSocket } from "./types";

type AckFn = (response: unknown) => void;
type Listener = (...args: unknown[]) => void;

/** Answers an event with an error: through its ack when it has one, else as `app:error`. */
export function replyError(socket: RealtimeSocket, event: string, ack: AckFn | undefined, err: unknown): void {
  const appError = toAppError(err);
  if (appError.code === ErrorCode.Internal) console.error(`[realtime] ${event} failed`, appError.cause ?? appError);
  if (ack) ack({ error: appError.toBody() });
  else socket.emit("app:error", { event, error: appError.toBody() });
}

/**
 * Registers a validated, never-throwing handler: the payload is parsed with `schema`, the result is
 * sent as the ack, and every failure becomes `{ error: { code, message } }`.
 */
export function onEvent<S extends z.ZodType>(
  socket: RealtimeSocket,
  event: string,
  schema: S,
  handler: (payload: z.infer<S>) => Promise<unknown>,
): void {
  const listener: Listener = (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as AckFn) : undefined;
    void (async () => {
      try {
        const parsed = schema.safeParse(args[0]);
        if (!parsed.success) throw validationError(parsed.error);
        const result = await handler(parsed.data);
        ack?.(result);
      } catch (err) {
        replyError(socket, event, ack, err);
      }
    })();
  };
  (socket as unknown as { on(event: string, listener: Listener): void }).on(event, listener);
}

/** Answers every event not in `known` with 1002 instead of ignoring it. */
export function rejectUnknownEvents(socket: RealtimeSocket, known: ReadonlySet<string>): void {
  socket.onAny((event: string, ...args: unknown[]) => {
    if (known.has(event)) return;
    const last = args[args.length - 1];
    replyError(socket, String(event), typeof last === "function" ? (last as AckFn) : undefined, new AppError(ErrorCode.UnknownEvent, `unknown event "${String(event)}"`));
  });
}

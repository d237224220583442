import { ErrorCode } from "./codes";
import { InterlinkedError, fromErrorBody, isErrorBody, toInterlinkedError } from "./errors";

/** Default time a request waits for its ack. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** What `request` needs of a socket.io-client `Socket` (any namespace, any event maps). */
export interface RequestSocket {
  readonly connected: boolean;
  timeout(ms: number): unknown;
}

export interface RequestOptions {
  /** How long to wait for the ack (default 10 s); then the request fails with 5002 (temporary). */
  timeoutMs?: number;
  /**
   * When the socket is not connected: `"buffer"` (default) lets socket.io-client queue the packet until it
   * reconnects, within the timeout; `"fail"` rejects at once with 5001 (temporary).
   */
  whenDisconnected?: "buffer" | "fail";
}

interface AckEmitter {
  emitWithAck(event: string, payload: unknown): Promise<unknown>;
}

/**
 * Emits `event` with `payload` and an ack callback, and resolves with the ack. Rejects with an
 * InterlinkedError carrying the server's code for an `{ error }` ack, 5002 (temporary) when no ack came
 * within `timeoutMs`, 5001 (temporary) when disconnected and `whenDisconnected: "fail"`.
 *
 *   const ack = await request<AckOf, "room:join">(socket, "room:join", { room: "math" });
 */
export async function request<Acks = Record<string, unknown>, E extends keyof Acks & string = keyof Acks & string>(
  socket: RequestSocket,
  event: E,
  payload: unknown,
  options: RequestOptions = {},
): Promise<Acks[E]> {
  if (!socket.connected && options.whenDisconnected === "fail") {
    throw new InterlinkedError(ErrorCode.Unavailable, `not connected: "${event}" not sent`, { temporary: true, event });
  }
  const emitter = socket.timeout(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) as AckEmitter;
  let res: unknown;
  try {
    res = await emitter.emitWithAck(event, payload);
  } catch (err) {
    throw toInterlinkedError(err, event);
  }
  if (typeof res === "object" && res !== null && "error" in res) {
    const body = (res as { error: unknown }).error;
    throw isErrorBody(body) ? fromErrorBody(body, { event }) : new InterlinkedError(ErrorCode.Internal, `malformed error ack to "${event}"`, { event, temporary: false });
  }
  return res as Acks[E];
}

/** A `request` bound to one socket and its event maps: payloads and acks are typed per event. */
export type Requester<Payloads, Acks> = <E extends keyof Payloads & keyof Acks & string>(event: E, payload: Payloads[E], options?: RequestOptions) => Promise<Acks[E]>;

/** Binds `request` to a socket with payload and ack maps (e.g. `Payloads` / `AckOf` of core/events.ts). */
export function requester<Payloads, Acks>(socket: RequestSocket, defaults: RequestOptions = {}): Requester<Payloads, Acks> {
  return (event, payload, options) => request<Acks, typeof event>(socket, event, payload, { ...defaults, ...options });
}

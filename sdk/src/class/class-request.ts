import type { Socket } from "socket.io-client";
import type { ClassAcks, ClassEvent, ClassPayload } from "../../../core/class-signaling";

/** A refused `/class` request: the server's numbered error (docs/PROTOCOL.md "Errors"), or 5002 on a timeout. */
export class ClassRequestError extends Error {
  constructor(
    readonly event: string,
    readonly code: number,
    message: string,
  ) {
    super(`${event}: ${code} ${message}`);
    this.name = "ClassRequestError";
  }
}

/** Timeout of one signaling request (the server's own media RPC timeout is 5 s by default). */
export const CLASS_REQUEST_TIMEOUT_MS = 15_000;

const isError = (v: unknown): v is { error: { code: number; message: string } } =>
  typeof v === "object" && v !== null && "error" in v && typeof (v as { error: unknown }).error === "object";

/** Sends one `/class` request and resolves with its ack, or rejects with a ClassRequestError. */
export async function classRequest<E extends ClassEvent>(socket: Socket, event: E, payload: ClassPayload<E>, timeoutMs = CLASS_REQUEST_TIMEOUT_MS): Promise<ClassAcks[E]> {
  let res: unknown;
  try {
    res = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw new ClassRequestError(event, 5002, `no answer within ${timeoutMs} ms`);
  }
  if (isError(res)) throw new ClassRequestError(event, res.error.code, res.error.message);
  return res as ClassAcks[E];
}

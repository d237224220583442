import type { ClassAcks, ClassEvent, ClassPayload } from "../../../core/class-signaling";
import { request, type RequestSocket } from "../request";

/** Timeout of one signaling request (the server's own media RPC timeout is 5 s by default). */
export const CLASS_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Sends one `/class` request and resolves with its ack; rejects with an InterlinkedError carrying the
 * server's code (docs/PROTOCOL.md "Live classes"), or 5002 when no ack came in time.
 */
export function classRequest<E extends ClassEvent>(socket: RequestSocket, event: E, payload: ClassPayload<E>, timeoutMs = CLASS_REQUEST_TIMEOUT_MS): Promise<ClassAcks[E]> {
  return request<ClassAcks, E>(socket, event, payload, { timeoutMs });
}

import { AppError, toAppError, type ErrorBody, type ErrorCodeValue } from "../../core/errors";

/** A handler's outcome on the wire. */
export type RpcReply = { ok: unknown } | { error: ErrorBody };

export async function runToReply(work: () => Promise<unknown>): Promise<RpcReply> {
  try {
    return { ok: (await work()) ?? null };
  } catch (err) {
    const e = toAppError(err);
    if (e.code === 5000) console.error("[media] request failed:", e.cause ?? e);
    return { error: e.toBody() };
  }
}

export function unwrapReply(reply: RpcReply): unknown {
  if ("error" in reply) throw new AppError(reply.error.code as ErrorCodeValue, reply.error.message, { temporary: reply.error.temporary === true });
  return reply.ok;
}

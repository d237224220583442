import { AppError, toAppError, type ErrorBody, type ErrorCodeValue } from "../../core/errors";
import { errorFields, type Logger } from "../../core/log";

/** A handler's outcome on the wire. */
export type RpcReply = { ok: unknown } | { error: ErrorBody };

/** Runs a media request; internal failures (5000) are logged with the request's tenant, class and operation. */
export async function runToReply(work: () => Promise<unknown>, log: Logger, request: { op: string; tenant: string; classId: string }): Promise<RpcReply> {
  try {
    return { ok: (await work()) ?? null };
  } catch (err) {
    const e = toAppError(err);
    if (e.code === 5000) log.error({ ...errorFields(e.cause ?? e), code: e.code, tenant: request.tenant, classId: request.classId, op: request.op }, "media: request failed");
    return { error: e.toBody() };
  }
}

export function unwrapReply(reply: RpcReply): unknown {
  if ("error" in reply) throw new AppError(reply.error.code as ErrorCodeValue, reply.error.message, { temporary: reply.error.temporary === true });
  return reply.ok;
}

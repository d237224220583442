import { createHash } from "node:crypto";
import { AppError, ErrorCode } from "../../core/errors";
import type { HandlerContext } from "./context";
import { stateKeys } from "../../core/tenant-keys";

/** An open claim outlives the longest a publish may wait for Kafka (30 s); a completed one is kept 10 min. */
const PENDING_TTL = 40;
const DONE_TTL = 600;

/** A UUID (version-5 layout) derived from the idempotency key, so a resend that does get published twice is still stored once. */
function uuidFromKey(key: string): string {
  const b = createHash("sha256").update(key).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Runs `send` at most once per client key (per user): a resend gets the first result; one that arrives
 * while the first is still in flight gets 4003 (temporary) unless the node handling the first has died,
 * in which case this node takes the claim over. The message id follows from the key, so even a write that
 * reached Kafka without its ack is stored once.
 */
export async function sendOnce<R>(ctx: HandlerContext, key: string | undefined, send: (id: string | undefined) => Promise<R>): Promise<R> {
  if (!key) return send(undefined);
  const { tenant, user } = ctx.socket.data.principal;
  const { state, presence, nodeId } = ctx.services;
  const k = stateKeys.idempotency(tenant, user, key);
  let claim = await state.claim(k, PENDING_TTL, nodeId);
  if (claim.state === "pending" && claim.owner !== nodeId && !(await presence.isNodeAlive(claim.owner))) {
    await state.takeOver(k, PENDING_TTL, nodeId);
    claim = { state: "claimed" };
  }
  if (claim.state === "done") return JSON.parse(claim.result) as R;
  if (claim.state === "pending") throw new AppError(ErrorCode.InProgress, `message with key "${key}" is still being accepted; retry`);
  try {
    const result = await send(uuidFromKey(k));
    await state.complete(k, JSON.stringify(result), DONE_TTL);
    return result;
  } catch (err) {
    await state.release(k);
    throw err;
  }
}

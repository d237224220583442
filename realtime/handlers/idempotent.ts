import type { HandlerContext } from "./context";
import { stateKeys } from "../../core/tenant-keys";
import { acceptOnce, type KeyedSend } from "../keyed-once";

/** `acceptOnce` for a socket's keyed send (per tenant and user); without a key, numbers and publishes. */
export async function sendOnce<E, R>(ctx: HandlerContext, key: string | undefined, send: KeyedSend<E, R>): Promise<R> {
  if (!key) return send.publish(await send.number(undefined));
  const { tenant, user } = ctx.socket.data.principal;
  const { state, presence, nodeId } = ctx.services;
  return acceptOnce({ state, nodeId, isNodeAlive: (node) => presence.isNodeAlive(node) }, stateKeys.idempotency(tenant, user, key), send, key);
}

import { AppError, ErrorCode } from "../core/errors";
import { stableUuid } from "../core/stable-id";
import type { KeyedState } from "./state/keyed-state";

/** An open claim outlives the longest a publish may wait for Kafka (30 s); a completed one is kept 10 min. */
export const PENDING_TTL = 40;
export const DONE_TTL = 600;

/** A keyed send in two steps, so that a resend can repeat the second with what the first decided. */
export interface KeyedSend<E, R> {
  /**
   * Counts and numbers the message (quota, seq) with its id; runs once per key while its staged event is
   * kept. An earlier attempt may have numbered it without staging it (its node died, or its claim lapsed or
   * was taken over): the sequence store keeps one number per message id, so this numbers it the same.
   */
  number(id: string | undefined): Promise<E>;
  /** Publishes the numbered message and gives the ack; may run again with the same event after a failure. */
  publish(event: E): Promise<R>;
}

export interface OnceDeps {
  state: KeyedState;
  nodeId: string;
  /** Whether a node holding an open claim still lives (else this node takes the claim over). */
  isNodeAlive?(nodeId: string): Promise<boolean>;
}

/**
 * Accepts a keyed message at most once per state key `k`: a resend after the acceptance gets the first
 * ack; one that arrives while the first is still in flight gets 4003 (temporary) unless the node handling
 * the first has died, in which case this node takes the claim over.
 *
 * The numbered event (its id from the key, its seq) is staged on the claim before it is published. A send
 * whose publish failed, or whose node died, may still have reached Kafka; its resend therefore publishes
 * that same staged event again (same id and seq) instead of numbering a new one: the row stored (the
 * first one written, the worker dedupes by id) and every ack name the same seq. A node that died after
 * numbering and before staging, a claim that lapsed (PENDING_TTL) before the resend came, or a claim taken
 * over from a node cut off from Redis: the next attempt numbers the message again, and the sequence store
 * answers the number the message id took the first time (realtime/sequence/sequence-store.ts), so that seq
 * is published and does not stay a hole. A node whose claim was taken over before its stage landed does
 * not publish: its stage is refused, and the message is the taking-over node's alone (same seq).
 */
export async function acceptOnce<E, R>(deps: OnceDeps, k: string, send: KeyedSend<E, R>, label: string): Promise<R> {
  const { state, nodeId } = deps;
  let claim = await state.claim(k, PENDING_TTL, nodeId);
  if (claim.state === "pending" && claim.owner !== nodeId && deps.isNodeAlive && !(await deps.isNodeAlive(claim.owner))) {
    // only while the key still holds that claim: the owner may have been cut off only, and its late complete
    // landed while this node asked (the take-over then answers the result, or another claimant's claim)
    claim = await state.takeOver(k, PENDING_TTL, nodeId, claim.owner);
  }
  if (claim.state === "done") return JSON.parse(claim.result) as R;
  if (claim.state === "pending") throw new AppError(ErrorCode.InProgress, `message with key "${label}" is still being accepted; retry`);
  let staged = claim.staged;
  try {
    let event: E;
    if (staged !== undefined) {
      event = JSON.parse(staged) as E;
    } else {
      event = await send.number(stableUuid(k));
      const json = JSON.stringify(event);
      if (!(await state.stage(k, PENDING_TTL, nodeId, json))) {
        // the claim is no longer ours: another node took it over (this node looked dead, e.g. cut off from
        // Redis while this send waited) and numbers the message itself. Publishing ours too would store the
        // message under this seq while that node's ack names its own.
        throw new AppError(ErrorCode.InProgress, `message with key "${label}" is being accepted by another node; retry`);
      }
      staged = json;
    }
    const result = await send.publish(event);
    await state.complete(k, JSON.stringify(result), DONE_TTL);
    return result;
  } catch (err) {
    // a no-op when the claim is no longer ours (unclaim leaves another claimant's state alone)
    await state.unclaim(k, DONE_TTL, nodeId, staged).catch(() => undefined);
    throw err;
  }
}

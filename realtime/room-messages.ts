import type { Principal } from "../core/auth";
import type { EventBus } from "../core/bus/event-bus";
import { defaultLogger, type Logger } from "../core/log";
import type { ChatMessageCreated, RoomMessageCreated } from "../core/contracts/events";
import { newEvent, publishEvents } from "../core/contracts/streams";
import type { ChatMessageDelivery, RoomMessageDelivery } from "../core/events";
import type { SequenceStore } from "./sequence/sequence-store";
import type { HistoryStore } from "./state/history-store";
import { orderingKeys } from "../core/tenant-keys";

/** Sequence and history keys of a room or a conversation (both inside the tenant). */

export function toDelivery(event: RoomMessageCreated): RoomMessageDelivery {
  return { room: event.data.room, id: event.id, seq: event.data.seq, user: event.data.user, text: event.data.text, sentAt: event.at };
}

export function toChatDelivery(event: ChatMessageCreated): ChatMessageDelivery {
  const { conversationId, seq, user, text } = event.data;
  return { conversationId, id: event.id, seq, user, text, sentAt: event.at };
}

/**
 * Accepts room and chat messages: numbers each (contiguous per stream), writes it to the bus, resolves
 * only once the bus holds it durably, then keeps it in the recent history for recovery. A refused write
 * rejects with 5001 and the caller acks nothing.
 *
 * `deliver` (the broadcast to the other members) runs once the bus holds the message durably — members
 * never see a message that could still be refused — and right after the history write was sent to Redis,
 * without waiting for its reply: the history is a cache (a missed write costs a database read at
 * recovery), and being sent first, it is ahead of any recovery read a member could make after seeing
 * the message. The returned promise (the sender's ack) still waits for the history write, so an acked
 * message is in the bus and, unless its write failed, in the history.
 */
export class MessagePublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly sequences: SequenceStore,
    private readonly history: HistoryStore,
    private readonly guard?: { admit(): void },
    private readonly log: Logger = defaultLogger(),
  ) {}

  /** Throws 5005 while the node is over capacity (realtime/load-guard.ts); call before any other work. */
  admit(): void {
    this.guard?.admit();
  }

  /** `id` (from an idempotency key) makes a repeated publish land on the same row. */
  async room(principal: Principal, room: string, text: string, id?: string, deliver?: (delivery: RoomMessageDelivery) => void): Promise<RoomMessageCreated> {
    return this.publishRoom(await this.numberRoom(principal, room, text, id), deliver);
  }

  async chat(principal: Principal, conversationId: string, text: string, id?: string, deliver?: (delivery: ChatMessageDelivery) => void): Promise<ChatMessageCreated> {
    return this.publishChat(await this.numberChat(principal, conversationId, text, id), deliver);
  }

  /**
   * The room message with the room's next seq, not yet published (a keyed send stages it first:
   * realtime/keyed-once.ts). With `id`, the seq an earlier attempt of that message took, if any (the
   * sequence store keeps one number per message id).
   */
  async numberRoom(principal: Principal, room: string, text: string, id?: string): Promise<RoomMessageCreated> {
    const seq = await this.number(orderingKeys.room(principal.tenant, room), id);
    return newEvent("room.message.created", principal.tenant, { room, seq, user: principal.user, text }, id);
  }

  async numberChat(principal: Principal, conversationId: string, text: string, id?: string): Promise<ChatMessageCreated> {
    const seq = await this.number(orderingKeys.chatHistory(principal.tenant, conversationId), id);
    return newEvent("chat.message.created", principal.tenant, { conversationId, seq, user: principal.user, text }, id);
  }

  /**
   * The stream's next seq, or the one message `id` already took (one number per message id, kept by the
   * sequence store in the same atomic step: a node can die between the store taking a number and its reply,
   * and its reservation below then never leaves it), reserved in the history as soon as the store has taken it (sent, not awaited:
   * the append that replaces it goes to the same key later, on the same connection) so that a recovery
   * meanwhile sees it on its way, not missing. "As soon as": on a Redis Cluster the number is confirmed by
   * a replica before `next` resolves (up to 100 ms), while every node already reads the counter past it; a
   * reservation sent only then left a hole that a rejoin answered `recovered: false` and gave up.
   */
  private async number(stream: string, id: string | undefined): Promise<number> {
    return this.sequences.next(
      stream,
      (seq) => {
        this.history.reserve(stream, seq, Date.now()).catch((err: unknown) => this.log.warn({ err, stream }, "realtime: history reservation failed"));
      },
      id,
    );
  }

  /**
   * Publishes a numbered room message (again, for a resend: same id and seq, so it is stored once);
   * `deliver` runs once it is durable, as the history write is sent (see the class comment).
   */
  async publishRoom(event: RoomMessageCreated, deliver?: (delivery: RoomMessageDelivery) => void): Promise<RoomMessageCreated> {
    await publishEvents(this.bus, "roomMessages", [event]);
    const delivery = toDelivery(event);
    const remembered = this.remember(orderingKeys.room(event.tenant, event.data.room), event.data.seq, delivery);
    deliver?.(delivery);
    await remembered;
    return event;
  }

  async publishChat(event: ChatMessageCreated, deliver?: (delivery: ChatMessageDelivery) => void): Promise<ChatMessageCreated> {
    await publishEvents(this.bus, "chat", [event]);
    const delivery = toChatDelivery(event);
    const remembered = this.remember(orderingKeys.chatHistory(event.tenant, event.data.conversationId), event.data.seq, delivery);
    deliver?.(delivery);
    await remembered;
    return event;
  }

  /** History is a cache: failing to write it costs a database read at recovery, never the message. Sends the write before it returns. */
  private async remember(stream: string, seq: number, delivery: object): Promise<void> {
    await this.history.append(stream, seq, JSON.stringify(delivery)).catch((err: unknown) => this.log.error({ err, stream }, "realtime: history append failed"));
  }
}

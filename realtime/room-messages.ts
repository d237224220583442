import { randomUUID } from "node:crypto";
import type { Principal } from "../core/auth";
import type { EventBus } from "../core/bus/event-bus";
import { Topics, type RoomMessageDelivery, type RoomMessageEvent } from "../core/events";
import { roomKeyOf } from "../core/tenancy";
import type { SequenceStore } from "./sequence/sequence-store";

/**
 * Accepts a room message: numbers it (contiguous per room), writes it to the bus and resolves only
 * once the bus holds it durably. A refused write rejects with 5001 and the caller acks nothing.
 */
export class RoomMessagePublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly sequences: SequenceStore,
  ) {}

  async publish(principal: Principal, room: string, text: string): Promise<RoomMessageEvent> {
    const key = roomKeyOf(principal.tenant, room);
    const seq = await this.sequences.next(key);
    const event: RoomMessageEvent = {
      v: 1,
      id: randomUUID(),
      tenant: principal.tenant,
      room,
      seq,
      user: principal.user,
      text,
      sentAt: new Date().toISOString(),
    };
    await this.bus.publish(Topics.roomMessages, [{ key, value: JSON.stringify(event) }]);
    return event;
  }
}

export function toDelivery(event: RoomMessageEvent): RoomMessageDelivery {
  return { room: event.room, id: event.id, seq: event.seq, user: event.user, text: event.text, sentAt: event.sentAt };
}

import type { Principal } from "../core/auth";
import type { EventBus } from "../core/bus/event-bus";
import type { RoomMessageCreated } from "../core/contracts/events";
import { newEvent, publishEvents } from "../core/contracts/streams";
import type { RoomMessageDelivery } from "../core/events";
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

  async publish(principal: Principal, room: string, text: string): Promise<RoomMessageCreated> {
    const seq = await this.sequences.next(roomKeyOf(principal.tenant, room));
    const event = newEvent("room.message.created", principal.tenant, { room, seq, user: principal.user, text });
    await publishEvents(this.bus, "roomMessages", [event]);
    return event;
  }
}

export function toDelivery(event: RoomMessageCreated): RoomMessageDelivery {
  return { room: event.data.room, id: event.id, seq: event.data.seq, user: event.data.user, text: event.data.text, sentAt: event.at };
}

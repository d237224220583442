/**
 * The wire types of the default namespace, from core/events.ts (types only: nothing of the server,
 * zod included, reaches a bundle).
 */
import type { AckOf, InboundEvent, Payload } from "../../core/events";

export type {
  AckOf,
  ChatMessageDelivery,
  ClientToServerEvents,
  InboundEvent,
  NotificationDelivery,
  Payload,
  PresenceStatus,
  RoomMessageDelivery,
  ServerToClientEvents,
} from "../../core/events";
export type { ErrorBody } from "../../core/errors";

/** Payload of every client → server event, by event name. */
export type Payloads = { [E in InboundEvent]: Payload<E> };
/** Ack of every client → server event, by event name (alias of core's AckOf). */
export type Acks = AckOf;

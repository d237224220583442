import { z } from "zod";
import type { ErrorBody } from "./errors";
import { roomNameSchema } from "./tenancy";

/** Inbound `room:join` payload. */
export const roomJoinSchema = z.object({ room: roomNameSchema }).strict();
/** Inbound `room:message` payload; the text limit is checked separately (error 1003). */
export const roomMessageSchema = z.object({ room: roomNameSchema, text: z.string().min(1) }).strict();

export type RoomJoin = z.infer<typeof roomJoinSchema>;
export type RoomMessageInput = z.infer<typeof roomMessageSchema>;

/** What members receive as the `room:message` event (no tenant: it is always the receiver's own). */
export interface RoomMessageDelivery {
  room: string;
  id: string;
  seq: number;
  user: string;
  text: string;
  sentAt: string;
}

/** What a user receives as `notification`. */
export interface NotificationDelivery {
  id: string;
  feed?: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
  createdAt: string;
}

export type Ack<T> = T | { error: ErrorBody };

/** Events the server handles, with their payload and ack types. */
export interface ClientToServerEvents {
  "room:join": (payload: RoomJoin, ack: (res: Ack<{ room: string }>) => void) => void;
  "room:leave": (payload: RoomJoin, ack: (res: Ack<{ room: string }>) => void) => void;
  "room:message": (payload: RoomMessageInput, ack: (res: Ack<{ id: string; seq: number }>) => void) => void;
}

/** Events the server sends. `app:error` answers an event that came without an ack callback. */
export interface ServerToClientEvents {
  "room:message": (message: RoomMessageDelivery) => void;
  notification: (notification: NotificationDelivery) => void;
  "app:error": (info: { event: string; error: ErrorBody }) => void;
}

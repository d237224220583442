import { z } from "zod";
import { MAX_TOKEN_BYTES } from "./limits";
import type { ErrorBody } from "./errors";
import { roomNameSchema, userIdSchema } from "./tenancy";
import { storableText } from "./storable";

/**
 * Socket.IO events: inbound payload schemas (validated on every event, extra fields refused) and the
 * typed event maps shared by the server and the TypeScript client (realtime/client.ts).
 */
const since = z.number().int().min(0);
const key = storableText().min(1).max(64);
const conversationId = z.string().uuid();

export const inbound = {
  "auth:refresh": z.object({ token: z.string().min(1).max(MAX_TOKEN_BYTES) }).strict(),
  "room:join": z.object({ room: roomNameSchema, since: since.optional() }).strict(),
  "room:leave": z.object({ room: roomNameSchema }).strict(),
  "room:message": z.object({ room: roomNameSchema, text: storableText().min(1), key: key.optional() }).strict(),
  "room:typing": z.object({ room: roomNameSchema }).strict(),
  "room:members": z.object({ room: roomNameSchema }).strict(),
  "room:mute": z.object({ room: roomNameSchema, user: userIdSchema, seconds: z.number().int().min(1).max(86_400 * 30) }).strict(),
  "room:unmute": z.object({ room: roomNameSchema, user: userIdSchema }).strict(),
  "room:kick": z.object({ room: roomNameSchema, user: userIdSchema }).strict(),
  "room:delete": z.object({ room: roomNameSchema, id: z.string().uuid() }).strict(),
  "chat:send": z.object({ conversationId, text: storableText().min(1), key: key.optional() }).strict(),
  "chat:receipt": z.object({ conversationId, kind: z.enum(["delivered", "read"]), upToSeq: z.number().int().min(0) }).strict(),
  "chat:typing": z.object({ conversationId }).strict(),
  "chat:sync": z.object({ conversationId, since }).strict(),
  "presence:set": z.object({ status: z.enum(["online", "away"]) }).strict(),
  "presence:query": z.object({ users: z.array(userIdSchema).min(1).max(500) }).strict(),
  "presence:subscribe": z.object({ users: z.array(userIdSchema).min(1).max(500) }).strict(),
  "presence:unsubscribe": z.object({ users: z.array(userIdSchema).min(1).max(500) }).strict(),
  "feed:subscribe": z.object({ feed: roomNameSchema }).strict(),
  "feed:unsubscribe": z.object({ feed: roomNameSchema }).strict(),
  "notification:read": z.union([z.object({ ids: z.array(z.string().uuid()).min(1).max(500) }).strict(), z.object({ all: z.literal(true) }).strict()]),
} as const;

export type InboundEvent = keyof typeof inbound;
export type Payload<E extends InboundEvent> = z.infer<(typeof inbound)[E]>;

/** What members receive as the `room:message` event (no tenant: it is always the receiver's own). */
export interface RoomMessageDelivery {
  room: string;
  id: string;
  seq: number;
  user: string;
  text: string;
  sentAt: string;
}

export interface ChatMessageDelivery {
  conversationId: string;
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

export type PresenceStatus = "online" | "away" | "offline";
export type Ack<T> = T | { error: ErrorBody };
type Cb<T> = (res: Ack<T>) => void;

/** Acks of the client → server events. */
export interface AckOf {
  "auth:refresh": { exp: number };
  /** `members` is left out for rooms larger than ROOM_PRESENCE_LIMIT (1,000): use `room:members`. */
  /**
   * Without `since`: `seq`, the room's last seq at the join (follow it from there: the next rejoin's `since`).
   * With `since`: `recovered`, `messages`, `pending` (seqs after `since` handed out but not yet
   * published; they come live: realtime/recovery.ts), and `seq`, the room's last seq when the recovery read
   * it: `recovered` speaks for the seqs up to it (a higher one was handed out later and comes live).
   */
  "room:join": { room: string; memberCount: number; members?: string[]; seq?: number; recovered?: boolean; messages?: RoomMessageDelivery[]; pending?: number[] };
  "room:leave": { room: string };
  "room:message": { id: string; seq: number };
  "room:typing": Record<string, never>;
  "room:members": { room: string; members: Array<{ user: string; status: PresenceStatus }> };
  "room:mute": { room: string; user: string; until: string };
  "room:unmute": { room: string; user: string };
  "room:kick": { room: string; user: string };
  "room:delete": { room: string; id: string };
  "chat:send": { id: string; seq: number };
  "chat:receipt": { conversationId: string; upToSeq: number };
  "chat:typing": Record<string, never>;
  /** `seq`: the conversation's last seq when the recovery read it (as room:join's). */
  "chat:sync": { conversationId: string; seq?: number; recovered: boolean; messages: ChatMessageDelivery[]; pending?: number[] };
  "presence:set": { status: PresenceStatus };
  "presence:query": { statuses: Record<string, PresenceStatus> };
  "presence:subscribe": { statuses: Record<string, PresenceStatus> };
  "presence:unsubscribe": { users: string[] };
  "feed:subscribe": { feed: string };
  "feed:unsubscribe": { feed: string };
  "notification:read": { marked: number };
}

export type ClientToServerEvents = { [E in InboundEvent]: (payload: Payload<E>, ack: Cb<AckOf[E]>) => void };

/** Events the server sends. */
export interface ServerToClientEvents {
  "room:message": (message: RoomMessageDelivery) => void;
  "room:member": (diff: { room: string; user: string; action: "joined" | "left" }) => void;
  "room:typing": (info: { room: string; user: string }) => void;
  "room:deleted": (info: { room: string; id: string; by: string }) => void;
  "room:kicked": (info: { room: string; by: string }) => void;
  "room:muted": (info: { room: string; until: string }) => void;
  "chat:message": (message: ChatMessageDelivery) => void;
  "chat:receipt": (info: { conversationId: string; user: string; kind: "delivered" | "read"; upToSeq: number }) => void;
  "chat:typing": (info: { conversationId: string; user: string }) => void;
  presence: (info: { user: string; status: PresenceStatus }) => void;
  notification: (notification: NotificationDelivery) => void;
  "notification:backlog": (info: { unread: number; notifications: NotificationDelivery[] }) => void;
  /** At 80 % of a quota; above 100 % while the school's overflow grace lasts, with `graceUntil` (ISO). */
  "quota:warning": (info: { quota: string; used: number; limit: number; graceUntil?: string }) => void;
  "app:disconnect": (info: { code: number; message: string }) => void;
  "app:error": (info: { event: string; error: ErrorBody }) => void;
  /** The node is shutting down: the connection closes right after this and the client reconnects (to another node). */
  "app:draining": (info: { reason: string }) => void;
}

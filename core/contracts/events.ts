import { z } from "zod";
import { roleSchema } from "../auth";
import { roomNameSchema, userIdSchema } from "../tenancy";
import { eventSchema } from "./envelope";
import { storableJsonObject, storableText } from "../storable";

const uuid = z.string().uuid();
const seq = z.number().int().positive();

export const roomMessageCreated = eventSchema(
  "room.message.created",
  z.object({ room: roomNameSchema, seq, user: userIdSchema, text: storableText() }),
);
export const roomMessageEdited = eventSchema(
  "room.message.edited",
  z.object({ room: roomNameSchema, messageId: uuid, user: userIdSchema, text: storableText() }),
);
export const roomMessageDeleted = eventSchema("room.message.deleted", z.object({ room: roomNameSchema, messageId: uuid, by: userIdSchema }));

export const roomMemberJoined = eventSchema("room.member.joined", z.object({ room: roomNameSchema, user: userIdSchema }));
export const roomMemberLeft = eventSchema("room.member.left", z.object({ room: roomNameSchema, user: userIdSchema }));

export const chatMessageCreated = eventSchema(
  "chat.message.created",
  z.object({ conversationId: uuid, seq, user: userIdSchema, text: storableText() }),
);
export const chatReceipt = eventSchema(
  "chat.receipt",
  z.object({ conversationId: uuid, user: userIdSchema, kind: z.enum(["delivered", "read"]), upToSeq: z.number().int().min(0) }),
);

export const presenceSessionStarted = eventSchema(
  "presence.session.started",
  z.object({ sessionId: storableText().min(1).max(64), user: userIdSchema, role: roleSchema, node: storableText().min(1).max(128) }),
);
export const presenceSessionEnded = eventSchema("presence.session.ended", z.object({ sessionId: storableText().min(1).max(64), user: userIdSchema }));

export const notificationCreated = eventSchema(
  "notification.created",
  z.object({
    users: z.array(userIdSchema).min(1).max(10_000),
    feed: roomNameSchema.optional(),
    title: storableText().min(1).max(200),
    body: storableText().max(4_000),
    data: storableJsonObject().optional(),
  }),
);

export const attendanceRecorded = eventSchema(
  "class.attendance",
  z.object({ classId: uuid, user: userIdSchema, kind: z.enum(["joined", "left"]) }),
);

/** A live class's media session started (first participant) or ended (media/class-session.ts). */
export const classStarted = eventSchema("class.started", z.object({ classId: uuid }));
export const classEnded = eventSchema("class.ended", z.object({ classId: uuid }));

export const quotaRecorded = eventSchema(
  "quota.event",
  z.object({ kind: z.enum(["warning", "refused"]), quota: storableText().min(1).max(64), used: z.number().int().min(0), limit: z.number().int().min(0) }),
);

export type RoomMessageCreated = z.infer<typeof roomMessageCreated>;
export type RoomMessageEdited = z.infer<typeof roomMessageEdited>;
export type RoomMessageDeleted = z.infer<typeof roomMessageDeleted>;
export type RoomMemberJoined = z.infer<typeof roomMemberJoined>;
export type RoomMemberLeft = z.infer<typeof roomMemberLeft>;
export type ChatMessageCreated = z.infer<typeof chatMessageCreated>;
export type ChatReceipt = z.infer<typeof chatReceipt>;
export type PresenceSessionStarted = z.infer<typeof presenceSessionStarted>;
export type PresenceSessionEnded = z.infer<typeof presenceSessionEnded>;
export type NotificationCreated = z.infer<typeof notificationCreated>;
export type AttendanceRecorded = z.infer<typeof attendanceRecorded>;
export type QuotaRecorded = z.infer<typeof quotaRecorded>;
export type ClassStarted = z.infer<typeof classStarted>;
export type ClassEnded = z.infer<typeof classEnded>;

import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { BusRecord, EventBus } from "../bus/event-bus";
import type { EventEnvelope } from "./envelope";
import * as e from "./events";
import { orderingKeys } from "../tenant-keys";

/**
 * The bus streams: one topic each, records keyed so that what must stay in order shares a partition
 * (a room's messages, a conversation's messages and receipts, a school's sessions, a class's attendance).
 */
export const streams = {
  roomMessages: {
    topic: "room-messages",
    schema: z.discriminatedUnion("type", [e.roomMessageCreated, e.roomMessageEdited, e.roomMessageDeleted]),
    key: (ev: { tenant: string; data: { room: string } }) => orderingKeys.room(ev.tenant, ev.data.room),
  },
  memberships: {
    topic: "memberships",
    schema: z.discriminatedUnion("type", [e.roomMemberJoined, e.roomMemberLeft]),
    key: (ev: { tenant: string; data: { room: string } }) => orderingKeys.room(ev.tenant, ev.data.room),
  },
  chat: {
    topic: "chat",
    schema: z.discriminatedUnion("type", [e.chatMessageCreated, e.chatReceipt]),
    key: (ev: { tenant: string; data: { conversationId: string } }) => orderingKeys.conversation(ev.tenant, ev.data.conversationId),
  },
  presence: {
    topic: "presence",
    schema: z.discriminatedUnion("type", [e.presenceSessionStarted, e.presenceSessionEnded]),
    /**
     * Keyed by tenant (it was by user): one school's session events share a partition, so a connect
     * storm's events pack into one record per school and flush (core/bus/packed-records.ts) instead
     * of one record per user. A user's started/ended still keep their order (one tenant, one
     * partition). Consumers must not read the user from the record key (the webhooks consumer orders
     * presence deliveries by `orderingKeys.user` from the event itself).
     */
    key: (ev: { tenant: string }) => orderingKeys.tenant(ev.tenant),
  },
  notifications: {
    topic: "notifications",
    schema: e.notificationCreated,
    key: (ev: { tenant: string; id: string }) => orderingKeys.notification(ev.tenant, ev.id),
  },
  attendance: {
    topic: "attendance",
    schema: e.attendanceRecorded,
    key: (ev: { tenant: string; data: { classId: string } }) => orderingKeys.class(ev.tenant, ev.data.classId),
  },
  classes: {
    topic: "classes",
    schema: z.discriminatedUnion("type", [e.classStarted, e.classEnded]),
    key: (ev: { tenant: string; data: { classId: string } }) => orderingKeys.class(ev.tenant, ev.data.classId),
  },
  quota: {
    topic: "quota",
    schema: e.quotaRecorded,
    key: (ev: { tenant: string }) => orderingKeys.tenant(ev.tenant),
  },
} as const;

export type StreamName = keyof typeof streams;
export type StreamEvent<S extends StreamName> = z.infer<(typeof streams)[S]["schema"]>;

/** Where records that cannot be processed go, with the reason (JSON of `DeadLetter`). */
export const DEAD_LETTER_TOPIC = "dead-letter";
export interface DeadLetter {
  topic: string;
  key: string;
  value: string;
  reason: string;
  at: string;
}

/** A new envelope with a fresh id and timestamp. */
export function newEvent<T extends string, D>(type: T, tenant: string, data: D, id: string = randomUUID()): EventEnvelope<T, D> {
  return { v: 1, type, id, tenant, at: new Date().toISOString(), data };
}

/** The bus record of an event of a stream: validated before it is written, keyed for order. */
export function toRecord<S extends StreamName>(stream: S, event: StreamEvent<S>): BusRecord {
  const def = streams[stream];
  const parsed = def.schema.parse(event) as StreamEvent<S>;
  return { key: (def.key as (ev: StreamEvent<S>) => string)(parsed), value: JSON.stringify(parsed) };
}

/** Validates, keys and writes events of one stream; resolves when the bus holds them durably. */
export async function publishEvents<S extends StreamName>(bus: EventBus, stream: S, events: StreamEvent<S>[]): Promise<void> {
  await bus.publish(streams[stream].topic, events.map((ev) => toRecord(stream, ev)));
}

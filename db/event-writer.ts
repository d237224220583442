import type { StreamEvent, StreamName } from "../core/contracts/streams";
import { AppError, ErrorCode } from "../core/errors";
import { Attr, SpanKind, inSpan } from "../core/tracing";
import type { Database } from "./database";
import { byTenant, withTenant } from "./tenant-scope";
import { insertAttendance, insertQuotaEvents } from "./writers/attendance";
import { applyReceipts, insertChatMessages } from "./writers/chat";
import { addRoomMembers, removeRoomMembers } from "./writers/memberships";
import { markClassesEnded, markClassesStarted } from "./writers/classes";
import { insertNotifications } from "./writers/notifications";
import { endSessions, startSessions } from "./writers/presence";
import { deleteRoomMessages, editRoomMessage, insertRoomMessages } from "./writers/room-messages";

/** Every event carried by a bus stream (core/contracts/streams.ts). */
export type BusEvent = StreamEvent<StreamName>;
export type BusEventType = BusEvent["type"];
export type BusEventOf<T extends BusEventType> = Extract<BusEvent, { type: T }>;

/** Writes a run of consecutive events of one type inside the tenant's transaction; idempotent on event ids. */
export type Writer<E> = (tx: Database, events: E[]) => Promise<unknown>;

/** One writer per bus event type: a stream gaining an event type without a writer does not compile. */
export type EventWriters = { readonly [T in BusEventType]: Writer<BusEventOf<T>> };

/** How each event type is written; consecutive events of one type are written together. */
export const eventWriters: EventWriters = {
  "room.message.created": insertRoomMessages,
  "room.message.edited": async (tx, events) => {
    for (const ev of events) await editRoomMessage(tx, ev);
  },
  "room.message.deleted": deleteRoomMessages,
  "room.member.joined": addRoomMembers,
  "room.member.left": removeRoomMembers,
  "chat.message.created": insertChatMessages,
  "chat.receipt": applyReceipts,
  "presence.session.started": startSessions,
  "presence.session.ended": endSessions,
  "notification.created": insertNotifications,
  "class.attendance": insertAttendance,
  "class.started": markClassesStarted,
  "class.ended": markClassesEnded,
  "quota.event": insertQuotaEvents,
};

/** What each event type's write does, for its span (`<operation> <table>`). */
const writeTargets: { readonly [T in BusEventType]: { operation: "INSERT" | "UPDATE" | "DELETE"; table: string } } = {
  "room.message.created": { operation: "INSERT", table: "room_messages" },
  "room.message.edited": { operation: "UPDATE", table: "room_messages" },
  "room.message.deleted": { operation: "UPDATE", table: "room_messages" },
  "room.member.joined": { operation: "INSERT", table: "room_members" },
  "room.member.left": { operation: "DELETE", table: "room_members" },
  "chat.message.created": { operation: "INSERT", table: "chat_messages" },
  "chat.receipt": { operation: "UPDATE", table: "conversation_members" },
  "presence.session.started": { operation: "INSERT", table: "presence_sessions" },
  "presence.session.ended": { operation: "UPDATE", table: "presence_sessions" },
  "notification.created": { operation: "INSERT", table: "notifications" },
  "class.attendance": { operation: "INSERT", table: "attendance_events" },
  "class.started": { operation: "UPDATE", table: "live_classes" },
  "class.ended": { operation: "UPDATE", table: "live_classes" },
  "quota.event": { operation: "INSERT", table: "quota_events" },
};

/** A run of consecutive events of one type with the writer for that type. */
interface Run {
  type: BusEventType;
  events: BusEvent[];
  apply: (tx: Database) => Promise<unknown>;
}

/**
 * The writer of an event type, or a permanent (non-temporary) AppError 1002 for a type this build does
 * not know (a newer producer): retrying cannot help, so the record must be dead-lettered, not retried.
 */
function writerFor(writers: EventWriters, type: string): Writer<BusEvent> {
  if (!Object.hasOwn(writers, type)) throw new AppError(ErrorCode.UnknownEvent, `no writer for event type "${type}"`);
  // Sound: runs hold events of exactly `type`, and the map pairs each type with the writer of its events.
  return writers[type as BusEventType] as Writer<BusEvent>;
}

/** Splits events into runs of one type, keeping order, each with its writer (throws before any write). */
function runsOf(writers: EventWriters, events: BusEvent[]): Run[] {
  const runs: Run[] = [];
  for (const ev of events) {
    const last = runs[runs.length - 1];
    if (last && last.events[0]?.type === ev.type) {
      last.events.push(ev);
      continue;
    }
    const write = writerFor(writers, ev.type);
    const run: Run = { type: ev.type, events: [ev], apply: (tx) => write(tx, run.events) };
    runs.push(run);
  }
  return runs;
}

/**
 * Writes validated bus events to the database: one transaction per tenant (row-level security bound to
 * it), events applied in order, every write idempotent on the event id. An event of a type without a
 * writer fails the whole call with a permanent AppError 1002 before anything is written. Each run of one
 * event type is written in a client span `<operation> <table>` (db.system.name postgresql; PGlite is PostgreSQL too).
 */
export class EventWriter {
  constructor(
    private readonly db: Database,
    private readonly writers: EventWriters = eventWriters,
  ) {}

  async write<S extends StreamName>(stream: S, events: StreamEvent<S>[]): Promise<void> {
    const groups = [...byTenant<BusEvent>(events)].map(([tenant, group]) => ({ tenant, runs: runsOf(this.writers, group) }));
    for (const { tenant, runs } of groups) {
      await withTenant(this.db, tenant, async (tx) => {
        for (const run of runs) {
          const { operation, table } = writeTargets[run.type];
          const attributes = {
            [Attr.dbSystem]: "postgresql",
            [Attr.dbOperation]: operation,
            [Attr.dbCollection]: table,
            [Attr.dbBatchSize]: run.events.length,
            [Attr.tenant]: tenant,
            [Attr.stream]: stream,
          };
          await inSpan(`${operation} ${table}`, { kind: SpanKind.CLIENT, attributes }, () => run.apply(tx));
        }
      });
    }
  }
}

import type { StreamEvent, StreamName } from "../core/contracts/streams";
import { Attr, SpanKind, inSpan } from "../core/tracing";
import type { Database } from "./database";
import { byTenant, withTenant } from "./tenant-scope";
import { insertAttendance, insertQuotaEvents } from "./writers/attendance";
import { applyReceipts, insertChatMessages } from "./writers/chat";
import { addRoomMembers, removeRoomMembers } from "./writers/memberships";
import { insertNotifications } from "./writers/notifications";
import { endSessions, startSessions } from "./writers/presence";
import { deleteRoomMessages, editRoomMessage, insertRoomMessages } from "./writers/room-messages";

type AnyEvent = { type: string; tenant: string };
type Apply = (tx: Database, events: never[]) => Promise<unknown>;
/** How one event type is written, and what its span says (`<operation> <table>`). */
interface Applier {
  apply: Apply;
  operation: "INSERT" | "UPDATE" | "DELETE";
  table: string;
}

const applier = (operation: Applier["operation"], table: string, apply: Apply): Applier => ({ apply, operation, table });

/** How each event type is written; consecutive events of one type are written together. */
const appliers: Record<string, Applier> = {
  "room.message.created": applier("INSERT", "room_messages", insertRoomMessages as Apply),
  "room.message.edited": applier("UPDATE", "room_messages", (async (tx, events) => {
    for (const ev of events) await editRoomMessage(tx, ev);
  }) as Apply),
  "room.message.deleted": applier("UPDATE", "room_messages", deleteRoomMessages as Apply),
  "room.member.joined": applier("INSERT", "room_members", addRoomMembers as Apply),
  "room.member.left": applier("DELETE", "room_members", removeRoomMembers as Apply),
  "chat.message.created": applier("INSERT", "chat_messages", insertChatMessages as Apply),
  "chat.receipt": applier("UPDATE", "conversation_members", applyReceipts as Apply),
  "presence.session.started": applier("INSERT", "presence_sessions", startSessions as Apply),
  "presence.session.ended": applier("UPDATE", "presence_sessions", endSessions as Apply),
  "notification.created": applier("INSERT", "notifications", insertNotifications as Apply),
  "class.attendance": applier("INSERT", "attendance_events", insertAttendance as Apply),
  "quota.event": applier("INSERT", "quota_events", insertQuotaEvents as Apply),
};

/** Splits events into runs of one type, keeping order. */
function runsOf<E extends AnyEvent>(events: E[]): E[][] {
  const runs: E[][] = [];
  for (const ev of events) {
    const last = runs[runs.length - 1];
    if (last && last[0]?.type === ev.type) last.push(ev);
    else runs.push([ev]);
  }
  return runs;
}

/**
 * Writes validated bus events to the database: one transaction per tenant (row-level security bound to
 * it), events applied in order, every write idempotent on the event id. Each run of one event type is
 * written in a client span `<operation> <table>` (db.system.name postgresql; PGlite is PostgreSQL too).
 */
export class EventWriter {
  constructor(private readonly db: Database) {}

  async write<S extends StreamName>(stream: S, events: StreamEvent<S>[]): Promise<void> {
    for (const [tenant, group] of byTenant(events as AnyEvent[])) {
      await withTenant(this.db, tenant, async (tx) => {
        for (const run of runsOf(group)) {
          const found = appliers[run[0]?.type ?? ""];
          if (!found) throw new Error(`no writer for event type ${run[0]?.type}`);
          const attributes = {
            [Attr.dbSystem]: "postgresql",
            [Attr.dbOperation]: found.operation,
            [Attr.dbCollection]: found.table,
            [Attr.dbBatchSize]: run.length,
            [Attr.tenant]: tenant,
            [Attr.stream]: stream,
          };
          await inSpan(`${found.operation} ${found.table}`, { kind: SpanKind.CLIENT, attributes }, () => found.apply(tx, run as never[]));
        }
      });
    }
  }
}

import type { StreamEvent, StreamName } from "../core/contracts/streams";
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

/** How each event type is written; consecutive events of one type are written together. */
const appliers: Record<string, Apply> = {
  "room.message.created": insertRoomMessages as Apply,
  "room.message.edited": (async (tx, events) => {
    for (const ev of events) await editRoomMessage(tx, ev);
  }) as Apply,
  "room.message.deleted": deleteRoomMessages as Apply,
  "room.member.joined": addRoomMembers as Apply,
  "room.member.left": removeRoomMembers as Apply,
  "chat.message.created": insertChatMessages as Apply,
  "chat.receipt": applyReceipts as Apply,
  "presence.session.started": startSessions as Apply,
  "presence.session.ended": endSessions as Apply,
  "notification.created": insertNotifications as Apply,
  "class.attendance": insertAttendance as Apply,
  "quota.event": insertQuotaEvents as Apply,
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
 * it), events applied in order, every write idempotent on the event id.
 */
export class EventWriter {
  constructor(private readonly db: Database) {}

  async write<S extends StreamName>(_stream: S, events: StreamEvent<S>[]): Promise<void> {
    for (const [tenant, group] of byTenant(events as AnyEvent[])) {
      await withTenant(this.db, tenant, async (tx) => {
        for (const run of runsOf(group)) {
          const apply = appliers[run[0]?.type ?? ""];
          if (!apply) throw new Error(`no writer for event type ${run[0]?.type}`);
          await apply(tx, run as never[]);
        }
      });
    }
  }
}

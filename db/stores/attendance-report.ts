export interface AttendanceRow {
  user: string;
  firstJoin: string;
  lastLeave: string | null;
  /** Seconds present, counting an open session up to `now`. */
  secondsPresent: number;
  /** Joins after the first one. */
  reconnects: number;
  present: boolean;
}

/**
 * Folds join/leave events (in time order) into one row per participant. Overlapping sessions of one
 * user (two devices) count once: presence runs from the first open join to the last close.
 */
export function attendanceReport(events: Array<{ user: string; kind: "joined" | "left"; at: Date }>, now: Date): AttendanceRow[] {
  const acc = new Map<string, { first: Date; lastLeave: Date | null; open: number; since: Date | null; ms: number; joins: number }>();
  for (const ev of events) {
    let a = acc.get(ev.user);
    if (!a) {
      if (ev.kind === "left") continue;
      a = { first: ev.at, lastLeave: null, open: 0, since: null, ms: 0, joins: 0 };
      acc.set(ev.user, a);
    }
    if (ev.kind === "joined") {
      a.joins++;
      if (a.open++ === 0) a.since = ev.at;
    } else if (a.open > 0) {
      a.lastLeave = ev.at;
      if (--a.open === 0 && a.since) {
        a.ms += ev.at.getTime() - a.since.getTime();
        a.since = null;
      }
    }
  }
  return [...acc.entries()]
    .map(([user, a]) => ({
      user,
      firstJoin: a.first.toISOString(),
      lastLeave: a.lastLeave?.toISOString() ?? null,
      secondsPresent: Math.round((a.ms + (a.since ? now.getTime() - a.since.getTime() : 0)) / 1000),
      reconnects: Math.max(0, a.joins - 1),
      present: a.open > 0,
    }))
    .sort((x, y) => x.user.localeCompare(y.user));
}

export interface AttendanceRow {
  user: string;
  /** First join; null for a roster member who never joined (status "absent"). */
  firstJoin: string | null;
  lastLeave: string | null;
  /** Seconds present, counting an open session up to `now`. */
  secondsPresent: number;
  /** Joins after the first one. */
  reconnects: number;
  present: boolean;
  /**
   * Only for a class with a roster (mode room or list; docs/CLASSES.md): "member" (on the roster, or the
   * class's teacher, and joined), "absent" (on the roster, never joined), "guest" (joined, off the roster:
   * admitted from the waiting room, or staff).
   */
  status?: "member" | "absent" | "guest";
}

/**
 * Marks each row against the class's roster (`expected`: its users) and adds a row per roster member who
 * never joined, sorted by user like the report.
 */
export function withRoster(rows: readonly AttendanceRow[], expected: readonly string[], teacher: string): AttendanceRow[] {
  const onRoster = new Set(expected);
  const seen = new Set(rows.map((r) => r.user));
  const marked: AttendanceRow[] = rows.map((r) => ({ ...r, status: onRoster.has(r.user) || r.user === teacher ? "member" : "guest" }));
  const absent: AttendanceRow[] = [...onRoster]
    .filter((u) => !seen.has(u))
    .map((user) => ({ user, firstJoin: null, lastLeave: null, secondsPresent: 0, reconnects: 0, present: false, status: "absent" }));
  return [...marked, ...absent].sort((x, y) => x.user.localeCompare(y.user));
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

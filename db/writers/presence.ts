import { and, eq, isNull, sql } from "drizzle-orm";
import type { PresenceSessionEnded, PresenceSessionStarted } from "../../core/contracts/events";
import type { Database } from "../database";
import { presenceSessions, users } from "../schema";

/** Records sessions and keeps the users reference table current (role, last seen). */
export async function startSessions(tx: Database, events: PresenceSessionStarted[]): Promise<void> {
  await tx
    .insert(presenceSessions)
    .values(
      events.map((ev) => ({ tenantId: ev.tenant, sessionId: ev.data.sessionId, userId: ev.data.user, nodeId: ev.data.node, connectedAt: new Date(ev.at) })),
    )
    .onConflictDoNothing();
  const latest = new Map(events.map((ev) => [ev.data.user, ev]));
  await tx
    .insert(users)
    .values([...latest.values()].map((ev) => ({ tenantId: ev.tenant, userId: ev.data.user, role: ev.data.role, lastSeenAt: new Date(ev.at) })))
    .onConflictDoUpdate({
      target: [users.tenantId, users.userId],
      set: { role: sql`excluded.role`, lastSeenAt: sql`greatest(${users.lastSeenAt}, excluded.last_seen_at)` },
    });
}

export async function endSessions(tx: Database, events: PresenceSessionEnded[]): Promise<void> {
  for (const ev of events) {
    await tx
      .update(presenceSessions)
      .set({ disconnectedAt: new Date(ev.at) })
      .where(and(eq(presenceSessions.tenantId, ev.tenant), eq(presenceSessions.sessionId, ev.data.sessionId), isNull(presenceSessions.disconnectedAt)));
  }
}

import type { NotificationCreated } from "../../core/contracts/events";
import type { Database } from "../database";
import { notifications } from "../schema";

/** One row per recipient, keyed (tenant, id, user): a replay adds nothing. */
export async function insertNotifications(tx: Database, events: NotificationCreated[]): Promise<void> {
  const rows = events.flatMap((ev) =>
    ev.data.users.map((user) => ({
      tenantId: ev.tenant,
      id: ev.id,
      userId: user,
      feed: ev.data.feed ?? null,
      title: ev.data.title,
      body: ev.data.body,
      data: ev.data.data ?? null,
      createdAt: new Date(ev.at),
    })),
  );
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(notifications).values(rows.slice(i, i + 1000)).onConflictDoNothing();
}

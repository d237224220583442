import type { NotificationCreated } from "./contracts/events";
import type { NotificationDelivery } from "./events";

/** What a user receives as `notification`, from the stored event (live push and the backlog alike). */
export function toNotificationDelivery(ev: Pick<NotificationCreated, "id" | "at" | "data">): NotificationDelivery {
  const { feed, title, body, data } = ev.data;
  return { id: ev.id, ...(feed ? { feed } : {}), title, body, ...(data ? { data } : {}), createdAt: ev.at };
}

import type { NotificationStore, NotificationView } from "../db/stores/notifications";

export interface Backlog {
  items: NotificationView[];
  unread: number;
}
type Waiter = { resolve(b: Backlog): void; reject(err: unknown): void };

/**
 * The notification backlog each new connection is sent, read in batches: loads made within `windowMs`
 * (default 10 ms) are answered by one query per tenant for up to `maxBatch` users, instead of one
 * tenant-scoped transaction per connection — which made PostgreSQL round trips the cost of a connect
 * storm. A failed batch rejects each of its loads.
 */
export class BacklogLoader {
  private pending = new Map<string, Map<string, Waiter[]>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<NotificationStore, "backlogs">,
    private readonly limit: number,
    private readonly windowMs = 10,
    private readonly maxBatch = 500,
  ) {}

  load(tenant: string, user: string): Promise<Backlog> {
    return new Promise((resolve, reject) => {
      let users = this.pending.get(tenant);
      if (!users) this.pending.set(tenant, (users = new Map()));
      const waiters = users.get(user);
      if (waiters) waiters.push({ resolve, reject });
      else users.set(user, [{ resolve, reject }]);
      this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    for (const [tenant, users] of batch) {
      const all = [...users.keys()];
      for (let i = 0; i < all.length; i += this.maxBatch) {
        const chunk = all.slice(i, i + this.maxBatch);
        this.store.backlogs(tenant, chunk, this.limit).then(
          (found) => chunk.forEach((u) => users.get(u)!.forEach((w) => w.resolve(found.get(u) ?? { items: [], unread: 0 }))),
          (err: unknown) => chunk.forEach((u) => users.get(u)!.forEach((w) => w.reject(err))),
        );
      }
    }
  }
}

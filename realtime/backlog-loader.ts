import type { Logger } from "../core/log";
import type { NotificationStore, NotificationView } from "../db/stores/notifications";

export interface Backlog {
  items: NotificationView[];
  unread: number;
}
type Waiter = (b: Backlog | undefined) => void;

/**
 * The notification backlog each new connection is sent, read in batches: loads made within `windowMs`
 * (default 10 ms) are answered by one query per tenant for up to `maxBatch` users, instead of one
 * tenant-scoped transaction per connection — which made PostgreSQL round trips the cost of a connect
 * storm. A failed batch is logged once, with its tenant and how many users it held, and each of its loads
 * resolves `undefined` (that connection gets no backlog). Logged per load, the batches that a saturated
 * PostgreSQL pool failed during a reconnect storm were 1,100–1,600 error lines with stacks per node.
 */
export class BacklogLoader {
  private pending = new Map<string, Map<string, Waiter[]>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<NotificationStore, "backlogs">,
    private readonly log: Logger,
    private readonly limit: number,
    private readonly windowMs = 10,
    private readonly maxBatch = 500,
  ) {}

  /** The user's backlog; `undefined` when its batch failed (logged by the loader). */
  load(tenant: string, user: string): Promise<Backlog | undefined> {
    return new Promise((resolve) => {
      let users = this.pending.get(tenant);
      if (!users) this.pending.set(tenant, (users = new Map()));
      const waiters = users.get(user);
      if (waiters) waiters.push(resolve);
      else users.set(user, [resolve]);
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
          (found) => chunk.forEach((u) => users.get(u)!.forEach((w) => w(found.get(u) ?? { items: [], unread: 0 }))),
          (err: unknown) => {
            this.log.error({ err, tenant, users: chunk.length }, "realtime: notification backlog failed for a batch; its connections get none");
            chunk.forEach((u) => users.get(u)!.forEach((w) => w(undefined)));
          },
        );
      }
    }
  }
}

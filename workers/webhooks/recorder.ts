import type { WebhookStore } from "../../db/stores/webhooks";

interface Pending {
  tenant: string;
  item: { id: string; endpointId: string; status: number; latencyMs: number };
  done: { resolve: () => void; reject: (err: unknown) => void };
}

/**
 * Coalesces "delivered" records: what is recorded within `delayMs` (or `maxBatch` of it) is written in one
 * transaction per school, so a busy endpoint costs one commit per batch rather than per delivery.
 * `record` resolves once its row is written.
 */
export class DeliveredRecorder {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<WebhookStore, "delivered">,
    private readonly delayMs = 10,
    private readonly maxBatch = 500,
  ) {}

  record(tenant: string, item: Pending["item"]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ tenant, item, done: { resolve, reject } });
      if (this.queue.length >= this.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
    });
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const byTenant = new Map<string, Pending[]>();
    for (const p of batch) {
      const group = byTenant.get(p.tenant);
      if (group) group.push(p);
      else byTenant.set(p.tenant, [p]);
    }
    await Promise.all(
      [...byTenant].map(async ([tenant, group]) => {
        try {
          await this.store.delivered(tenant, group.map((p) => p.item));
          for (const p of group) p.done.resolve();
        } catch (err) {
          for (const p of group) p.done.reject(err);
        }
      }),
    );
  }
}

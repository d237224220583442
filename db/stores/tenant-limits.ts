import { defaultLogger, type Logger } from "../../core/log";
import type { Quotas, TenantStore } from "./tenants";

const CACHE_MS = 30_000;
const RETRY_MS = 5_000;

/**
 * The one cache of tenants' quota limits, shared by the realtime tier and the API of a process: each
 * tenant's effective limits (overrides or defaults) read at most every 30 s, with the last known limits
 * served while a refresh runs or fails. A change made through this process (`forget`) applies at once
 * here and within 30 s on other processes.
 */
export class TenantLimits {
  private readonly cache = new Map<string, { quotas: Promise<Quotas>; until: number; known?: Quotas }>();

  constructor(
    private readonly tenants: Pick<TenantStore, "quotas">,
    private readonly log: Logger = defaultLogger(),
  ) {}

  /**
   * The tenant's limits, cached 30 s. Once known they are refreshed in the background and the last known
   * ones serve meanwhile — also when the refresh fails (a saturated database must not turn every handshake
   * into 5000); only a tenant never read yet waits for (or fails with) the query.
   */
  of(tenant: string): Promise<Quotas> {
    const hit = this.cache.get(tenant);
    const now = Date.now();
    if (hit && hit.until > now) return hit.quotas;
    const fresh = this.tenants.quotas(tenant);
    if (hit?.known) {
      hit.until = now + RETRY_MS; // one refresh at a time
      fresh.then(
        (quotas) => this.cache.set(tenant, { quotas: fresh, until: Date.now() + CACHE_MS, known: quotas }),
        (err: unknown) => this.log.error({ err, tenant }, "quotas: refresh failed; keeping the last known limits"),
      );
      return hit.quotas;
    }
    const entry: { quotas: Promise<Quotas>; until: number; known?: Quotas } = { quotas: fresh, until: now + CACHE_MS };
    this.cache.set(tenant, entry);
    fresh.then(
      (quotas) => (entry.known = quotas),
      () => this.cache.get(tenant) === entry && this.cache.delete(tenant),
    );
    return fresh;
  }

  /** Drops a tenant's cached limits (after its overrides changed). */
  forget(tenant: string): void {
    this.cache.delete(tenant);
  }
}

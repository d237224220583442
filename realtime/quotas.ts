import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError, ErrorCode, type ErrorCodeValue } from "../core/errors";
import { defaultLogger, type Logger } from "../core/log";
import type { Quotas, TenantStore } from "../db/stores/tenants";
import type { KeyedState } from "./state/keyed-state";

/** A quota reading: how much is used of the limit, and whether the 80 % warning line is crossed. */
export interface QuotaUse {
  quota: string;
  used: number;
  limit: number;
  warn: boolean;
}

export const WARN_AT = 0.8;
const CACHE_MS = 30_000;
const RETRY_MS = 5_000;
/** Connection leases live this long unless their node renews them (it does every heartbeat). */
export const LEASE_TTL_MS = 10_000;

/**
 * Per-tenant quotas of the realtime tier, cluster-wide: concurrent connections (leases in KeyedState, so
 * a dead node's count expires), messages per second (rate-limiter-flexible on Redis), payload size and
 * broadcast recipients; limits are the tenant's overrides (Postgres) or the defaults, cached 30 s.
 */
export class TenantQuotas {
  private readonly cache = new Map<string, { quotas: Promise<Quotas>; until: number; known?: Quotas }>();
  private readonly rateLimiters = new Map<number, RateLimiterAbstract>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly state: KeyedState,
    private readonly redis: Redis | undefined,
    private readonly prefix: string,
    private readonly log: Logger = defaultLogger(),
  ) {}

  /**
   * The tenant's limits, cached 30 s. Once known they are refreshed in the background and the last known
   * ones serve meanwhile — also when the refresh fails (a saturated database must not turn every handshake
   * into 5000); only a tenant never read yet waits for (or fails with) the query.
   */
  limits(tenant: string): Promise<Quotas> {
    const hit = this.cache.get(tenant);
    const now = Date.now();
    if (hit && hit.until > now) return hit.quotas;
    const fresh = this.tenants.quotas(tenant);
    if (hit?.known) {
      hit.until = now + RETRY_MS; // one refresh at a time
      fresh.then(
        (quotas) => this.cache.set(tenant, { quotas: fresh, until: Date.now() + CACHE_MS, known: quotas }),
        (err: unknown) => this.log.error({ err, tenant }, "realtime: quota refresh failed; keeping the last known limits"),
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

  private use(quota: string, used: number, limit: number): QuotaUse {
    return { quota, used, limit, warn: used >= Math.ceil(limit * WARN_AT) };
  }

  private refuse(code: ErrorCodeValue, use: QuotaUse): never {
    throw Object.assign(new AppError(code, `${use.quota} quota reached (${use.used}/${use.limit})`), { quotaUse: use });
  }

  /** Takes a connection lease for the session or throws 3001. */
  async acquireConnection(tenant: string, sessionId: string): Promise<QuotaUse> {
    const { maxConnections } = await this.limits(tenant);
    const { granted, count } = await this.state.lease(`conn:${tenant}`, sessionId, maxConnections, LEASE_TTL_MS);
    const use = this.use("connections", count, maxConnections);
    if (!granted) this.refuse(ErrorCode.ConnectionQuota, use);
    return use;
  }

  renewConnections(tenant: string, sessionIds: string[]): Promise<void> {
    return this.state.renewLeases(`conn:${tenant}`, sessionIds, LEASE_TTL_MS);
  }

  releaseConnection(tenant: string, sessionId: string): Promise<void> {
    return this.state.dropLease(`conn:${tenant}`, sessionId);
  }

  connectionCount(tenant: string): Promise<number> {
    return this.state.leaseCount(`conn:${tenant}`);
  }

  private rateLimiter(limit: number): RateLimiterAbstract {
    let limiter = this.rateLimiters.get(limit);
    if (!limiter) {
      const opts = { points: limit, duration: 1, keyPrefix: `${this.prefix}msg-rate:${limit}` };
      limiter = this.redis ? new RateLimiterRedis({ ...opts, storeClient: this.redis }) : new RateLimiterMemory(opts);
      this.rateLimiters.set(limit, limiter);
    }
    return limiter;
  }

  /** Counts `recipients`-wide message against the tenant's messages/s and broadcast limits; throws 3002 / 3004 / 1003. */
  async consumeMessage(tenant: string, bytes: number, recipients: number): Promise<QuotaUse> {
    const q = await this.limits(tenant);
    if (bytes > q.maxPayloadBytes) throw new AppError(ErrorCode.PayloadTooLarge, `text is ${bytes} bytes; the limit is ${q.maxPayloadBytes}`);
    if (recipients > q.maxBroadcastRecipients) this.refuse(ErrorCode.BroadcastTooLarge, this.use("broadcastRecipients", recipients, q.maxBroadcastRecipients));
    try {
      const res = await this.rateLimiter(q.maxMessagesPerSecond).consume(tenant, 1);
      return this.use("messagesPerSecond", res.consumedPoints, q.maxMessagesPerSecond);
    } catch (err) {
      if (err instanceof RateLimiterRes) this.refuse(ErrorCode.MessageRate, this.use("messagesPerSecond", err.consumedPoints, q.maxMessagesPerSecond));
      throw new AppError(ErrorCode.Unavailable, "rate limiter unavailable", { cause: err });
    }
  }
}

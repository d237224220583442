import type { RedisClient } from "../core/redis-client";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError, ErrorCode, type ErrorCodeValue } from "../core/errors";
import type { TenantLimits } from "../db/stores/tenant-limits";
import type { Quotas } from "../db/stores/tenants";
import { stateKeys } from "../core/tenant-keys";
import { LEASE_TTL_MS } from "./node-liveness";
import type { KeyedState } from "./state/keyed-state";

/** A quota reading: how much is used of the limit, and whether the 80 % warning line is crossed. */
export interface QuotaUse {
  quota: string;
  used: number;
  limit: number;
  warn: boolean;
}

const WARN_AT = 0.8;

/**
 * Per-tenant quotas of the realtime tier, cluster-wide: concurrent connections (leases in KeyedState, so
 * a dead node's count expires), messages per second (rate-limiter-flexible on Redis), payload size and
 * broadcast recipients; limits are the tenant's overrides (Postgres) or the defaults (TenantLimits).
 */
export class TenantQuotas {
  private readonly rateLimiters = new Map<number, RateLimiterAbstract>();

  constructor(
    private readonly cachedLimits: TenantLimits,
    private readonly state: KeyedState,
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
  ) {}

  /** The tenant's limits (cached, see TenantLimits). */
  limits(tenant: string): Promise<Quotas> {
    return this.cachedLimits.of(tenant);
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
    const { granted, count } = await this.state.lease(stateKeys.connections(tenant), sessionId, maxConnections, LEASE_TTL_MS);
    const use = this.use("connections", count, maxConnections);
    if (!granted) this.refuse(ErrorCode.ConnectionQuota, use);
    return use;
  }

  renewConnections(tenant: string, sessionIds: string[]): Promise<void> {
    return this.state.renewLeases(stateKeys.connections(tenant), sessionIds, LEASE_TTL_MS);
  }

  releaseConnection(tenant: string, sessionId: string): Promise<void> {
    return this.state.dropLease(stateKeys.connections(tenant), sessionId);
  }

  connectionCount(tenant: string): Promise<number> {
    return this.state.leaseCount(stateKeys.connections(tenant));
  }

  /**
   * Messages counted in the tenant's current one-second quota window, cluster-wide: the figure a message
   * is refused on (3002) once it reaches maxMessagesPerSecond. 0 when no message came within the second.
   */
  async messagesThisSecond(tenant: string): Promise<number> {
    const { maxMessagesPerSecond } = await this.limits(tenant);
    const res = await this.rateLimiter(maxMessagesPerSecond).get(tenant);
    return res?.consumedPoints ?? 0;
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
    // the one check of a message's size: maxPayloadBytes defaults to MAX_MESSAGE_BYTES, a tenant may override it
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

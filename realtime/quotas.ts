import { randomUUID } from "node:crypto";
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
  /** Above 100 %, allowed by the overflow grace until this moment (ms since the epoch). */
  graceUntil?: number;
}

/** What the tier reports as `quota.event` (bus stream `quota`). */
export interface QuotaEventData {
  kind: "warning" | "refused";
  quota: string;
  used: number;
  limit: number;
}

const WARN_AT = 0.8;
/** A school's overflow grace is counted per period of this length from its first overflow. */
export const GRACE_PERIOD_SECONDS = 86_400;
/** Above 100 %, the grace admits up to this multiple of the quota (a runaway client is still stopped). */
export const GRACE_CEILING = 2;
/** A `refused` quota event is published at most once per tenant and quota in this window, seconds. */
const REFUSED_EVENT_WINDOW_SECONDS = 10;

/**
 * Per-tenant quotas of the realtime tier, cluster-wide: concurrent connections (one count per node and
 * tenant in KeyedState — `takeCount`/`holdCount` — renewed once per tenant per node, so a dead node's
 * connections stop counting within LEASE_TTL_MS), messages per second (rate-limiter-flexible on Redis), payload size and
 * broadcast recipients; limits are the tenant's overrides (Postgres) or the defaults (TenantLimits).
 */
export class TenantQuotas {
  private readonly rateLimiters = new Map<number, RateLimiterAbstract>();
  /** Connection takes asked and not yet answered, per tenant: while any is, a renewal does not set the count. */
  private readonly takesInFlight = new Map<string, number>();

  constructor(
    private readonly cachedLimits: TenantLimits,
    private readonly state: KeyedState,
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
    /** Told of grace starts (`warning`) and refusals (`refused`, at most one per 10 s per quota). */
    private readonly onEvent: (tenant: string, event: QuotaEventData) => void = () => undefined,
    private readonly now: () => number = Date.now,
    /** This node's name as the holder of its connection counts (one per process unless given). */
    private readonly holder: string = randomUUID(),
  ) {}

  /**
   * The overflow grace of a tenant's quota, cluster-wide (KeyedState: Redis, or memory when embedded):
   * the first overflow of a period starts it (and publishes a `warning` event); it allows overflow until
   * `overflowGraceSeconds` after that start; the period ends 24 h after the start, and the next overflow
   * starts a new grace. Undefined: no grace left (or none configured).
   */
  private async grace(tenant: string, quota: string, graceSeconds: number, used: number, limit: number): Promise<number | undefined> {
    if (graceSeconds <= 0) return undefined;
    const now = this.now();
    const claim = await this.state.claim(stateKeys.quotaGrace(tenant, quota), Math.max(GRACE_PERIOD_SECONDS, graceSeconds), String(now));
    const startedAt = claim.state === "claimed" ? now : Number(claim.state === "pending" ? claim.owner : claim.result);
    if (claim.state === "claimed") this.onEvent(tenant, { kind: "warning", quota, used, limit });
    const until = startedAt + graceSeconds * 1000;
    return Number.isFinite(until) && now < until ? until : undefined;
  }

  private noteRefusal(tenant: string, use: QuotaUse): void {
    void this.state
      .claim(stateKeys.quotaNoted(tenant, use.quota, "refused"), REFUSED_EVENT_WINDOW_SECONDS, "1")
      .then((c) => {
        if (c.state === "claimed") this.onEvent(tenant, { kind: "refused", quota: use.quota, used: use.used, limit: use.limit });
      })
      .catch(() => undefined);
  }

  /** The tenant's limits (cached, see TenantLimits). */
  limits(tenant: string): Promise<Quotas> {
    return this.cachedLimits.of(tenant);
  }

  private use(quota: string, used: number, limit: number): QuotaUse {
    return { quota, used, limit, warn: used >= Math.ceil(limit * WARN_AT) };
  }

  private refuse(code: ErrorCodeValue, use: QuotaUse, tenant?: string): never {
    if (tenant !== undefined) this.noteRefusal(tenant, use);
    throw Object.assign(new AppError(code, `${use.quota} quota reached (${use.used}/${use.limit})`), { quotaUse: use });
  }

  /** One connection more in this node's count of the tenant, if the tenant's total is below `limit`. */
  private async take(tenant: string, limit: number): Promise<{ granted: boolean; count: number }> {
    this.takesInFlight.set(tenant, (this.takesInFlight.get(tenant) ?? 0) + 1);
    try {
      return await this.state.takeCount(stateKeys.connections(tenant), this.holder, limit, LEASE_TTL_MS);
    } finally {
      const left = (this.takesInFlight.get(tenant) ?? 1) - 1;
      if (left > 0) this.takesInFlight.set(tenant, left);
      else this.takesInFlight.delete(tenant);
    }
  }

  /**
   * Counts a new connection of the tenant on this node or throws 3001 (`sessionId` names it in logs only:
   * the count is per node). At 100 % the tenant's overflow grace (if any is left) admits it, up to twice
   * the quota, with a warning that says until when. Each admitted connection is released once.
   */
  async acquireConnection(tenant: string, _sessionId: string): Promise<QuotaUse> {
    const { maxConnections, overflowGraceSeconds } = await this.limits(tenant);
    const { granted, count } = await this.take(tenant, maxConnections);
    const use = this.use("connections", count, maxConnections);
    if (granted) return use;
    const graceUntil = await this.grace(tenant, "connections", overflowGraceSeconds, count + 1, maxConnections);
    if (graceUntil !== undefined) {
      const over = await this.take(tenant, maxConnections * GRACE_CEILING);
      if (over.granted) return { ...this.use("connections", over.count, maxConnections), warn: true, graceUntil };
      this.refuse(ErrorCode.ConnectionQuota, this.use("connections", over.count, maxConnections), tenant);
    }
    this.refuse(ErrorCode.ConnectionQuota, use, tenant);
  }

  /**
   * Keeps this node's count of the tenant alive (one call per tenant, whatever the count): `connected` is
   * the number of the tenant's sockets the node holds, which becomes its count unless a take of the tenant
   * is in flight (then only the count's life is extended, and the next renewal sets it).
   */
  renewConnections(tenant: string, connected: number): Promise<void> {
    const quiet = !this.takesInFlight.has(tenant);
    return this.state.holdCount(stateKeys.connections(tenant), this.holder, LEASE_TTL_MS, quiet ? connected : undefined);
  }

  releaseConnection(tenant: string, _sessionId: string): Promise<void> {
    return this.state.dropCount(stateKeys.connections(tenant), this.holder);
  }

  connectionCount(tenant: string): Promise<number> {
    return this.state.countTotal(stateKeys.connections(tenant));
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
    let refused: RateLimiterRes;
    try {
      const res = await this.rateLimiter(q.maxMessagesPerSecond).consume(tenant, 1);
      return this.use("messagesPerSecond", res.consumedPoints, q.maxMessagesPerSecond);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw new AppError(ErrorCode.Unavailable, "rate limiter unavailable", { cause: err });
      refused = err;
    }
    // over 100 %: the overflow grace admits up to twice the rate while it lasts
    const use = this.use("messagesPerSecond", refused.consumedPoints, q.maxMessagesPerSecond);
    if (refused.consumedPoints <= q.maxMessagesPerSecond * GRACE_CEILING) {
      const graceUntil = await this.grace(tenant, "messagesPerSecond", q.overflowGraceSeconds, refused.consumedPoints, q.maxMessagesPerSecond);
      if (graceUntil !== undefined) return { ...use, warn: true, graceUntil };
    }
    this.refuse(ErrorCode.MessageRate, use, tenant);
  }
}

import { RedisWindow } from "../redis-window";
import type { RedisClient } from "../redis-client";
import { revocationKeys } from "../tenant-keys";
import { DEFAULT_REVOCATION_RETENTION_MS, type RevocationStore } from "./revocation-store";

/** Keeps the later of the stored and the given moment, expiring `retention` ms after it; returns the moment in force (or -1: already past its retention). */
const REVOKE = `
local moment = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if current > moment then moment = current end
local ttl = moment + tonumber(ARGV[2]) - tonumber(ARGV[3])
if ttl <= 0 then return tostring(moment) end
redis.call('SET', KEYS[1], tostring(moment), 'PX', ttl)
return tostring(moment)`;

/** RevocationStore on Redis: one string per (tenant, user) holding the moment (ms), with PX = moment + retention − now. */
export class RedisRevocationStore implements RevocationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionMs = DEFAULT_REVOCATION_RETENTION_MS,
  ) {}

  private key = (tenant: string, user: string): string => this.prefix + revocationKeys.user(tenant, user);

  async revoke(tenant: string, user: string, before: number): Promise<number> {
    const moment = (await this.redis.eval(REVOKE, 1, this.key(tenant, user), Math.floor(before), this.retentionMs, Date.now())) as string;
    return Number(moment);
  }

  /** Reads of a connect storm go as one pipeline per 2 ms window (core/redis-window.ts). */
  private get reads(): RedisWindow {
    return (this.window ??= new RedisWindow(this.redis));
  }
  private window: RedisWindow | undefined;

  async revokedBefore(tenant: string, user: string): Promise<number | undefined> {
    const value = await this.reads.get(this.key(tenant, user));
    return value === null ? undefined : Number(value);
  }
}

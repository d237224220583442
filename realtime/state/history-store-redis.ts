import type { RedisClient } from "../../core/redis-client";
import { historyDefaults, type HistoryEntry, type HistoryOptions, type HistoryStore } from "./history-store";

const APPEND = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Adds the reservation only when the seq has no entry (a message or an earlier reservation). */
const RESERVE = `
if redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) > 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/**
 * A reservation's member: `~<seq>:<reservedAt>` (a message's member is its JSON payload, which starts with `{`).
 * Nodes before 2026-12-01 wrote `~<seq>:<reservedAt>:<message id>`; it reads the same.
 */
const RESERVED = "~";
const reservationMember = (seq: number, atMs: number): string => `${RESERVED}${seq}:${atMs}`;
/** A member's reservation (seq, time), or undefined for a message's payload. */
function reservationOf(member: string): { seq: number; at: number } | undefined {
  if (!member.startsWith(RESERVED)) return undefined;
  const [seq, at] = member.slice(RESERVED.length).split(":");
  return { seq: Number(seq), at: Number(at) };
}

/** HistoryStore on a Redis sorted set per stream (`{prefix}h:{stream}`, score = seq), trimmed atomically. */
export class RedisHistoryStore implements HistoryStore {
  private readonly options: HistoryOptions;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    options: Partial<HistoryOptions> = {},
  ) {
    this.options = { ...historyDefaults, ...options };
  }

  async append(stream: string, seq: number, payload: string): Promise<void> {
    await this.redis.eval(APPEND, 1, `${this.prefix}h:${stream}`, seq, payload, this.options.size, this.options.ttlSeconds);
  }

  async reserve(stream: string, seq: number, atMs: number): Promise<void> {
    await this.redis.eval(RESERVE, 1, `${this.prefix}h:${stream}`, seq, reservationMember(seq, atMs), this.options.size, this.options.ttlSeconds);
  }

  async since(stream: string, after: number, limit: number): Promise<HistoryEntry[]> {
    const flat = await this.redis.zrangebyscore(`${this.prefix}h:${stream}`, `(${after}`, "+inf", "WITHSCORES", "LIMIT", 0, limit);
    const out: HistoryEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const member = flat[i] as string;
      const seq = Number(flat[i + 1]);
      const reservation = reservationOf(member);
      out.push(reservation ? { seq, reservedAt: reservation.at } : { seq, payload: member });
    }
    return out;
  }
}

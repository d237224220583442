import type { RedisClient } from "../../core/redis-client";

/** socket.io-adapter's ClusterAdapter message types this emitter sends. */
const BROADCAST = 3;
const DISCONNECT_SOCKETS = 6;
/** socket.io-parser's EVENT packet type. */
const EVENT = 2;

/** A sender's id in the adapter's messages: never a node's (nodes skip only their own). */
const EMITTER_UID = "emitter";

/**
 * The @socket.io/redis-emitter of the sharded adapter (@socket.io/redis-adapter createShardedAdapter),
 * which has none: ClusterAdapter messages as JSON, SPUBLISHed on a namespace's main channel
 * (`{key}#{nsp}#`), which every node subscribes to in every subscription mode. Messages published on
 * one connection to one channel reach each node in the order sent.
 */
export class ShardedEmitter {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
  ) {}

  private publish(nsp: string, type: number, data: object): void {
    void this.redis.spublish(`${this.key}#${nsp}#`, JSON.stringify({ uid: EMITTER_UID, nsp, type, data })).catch(() => undefined);
  }

  private static opts(rooms: string[]) {
    return { rooms, except: [], flags: {} };
  }

  /** Emits `event` to the sockets of `rooms` on every node. */
  emit(nsp: string, rooms: string[], event: string, payload: unknown): void {
    this.publish(nsp, BROADCAST, { packet: { type: EVENT, data: [event, payload], nsp }, opts: ShardedEmitter.opts(rooms) });
  }

  /** Disconnects the sockets of `rooms` on every node (`close`: the underlying connections too). */
  disconnectSockets(nsp: string, rooms: string[], close: boolean): void {
    this.publish(nsp, DISCONNECT_SOCKETS, { opts: ShardedEmitter.opts(rooms), close });
  }
}

import { Emitter } from "@socket.io/redis-emitter";
import type { DisconnectNotice, SocketFanout } from "../../core/socket-fanout";
import type { RedisClient } from "../../core/redis-client";
import { socketRooms } from "../../core/tenant-keys";
import { ShardedEmitter } from "./sharded-emitter";
import { USER_NAMESPACES } from "./user-namespaces";

/**
 * SocketFanout from a process without Socket.IO (a worker, an API-only node): @socket.io/redis-emitter
 * on one Redis (the classic adapter), the sharded emitter (./sharded-emitter.ts) on a Redis Cluster.
 */
export class RedisSocketFanout implements SocketFanout {
  private readonly emitter: Emitter | undefined;
  private readonly sharded: ShardedEmitter | undefined;

  /** `key` must equal the realtime nodes' redis-adapter key (`sharded`: their sharded adapter's channel prefix). */
  constructor(redis: RedisClient, key: string, sharded = false) {
    if (sharded) this.sharded = new ShardedEmitter(redis, key);
    else this.emitter = new Emitter(redis, { key });
  }

  toUsers(tenant: string, users: string[], event: string, payload: unknown): void {
    if (users.length === 0) return;
    const rooms = users.map((u) => socketRooms.user(tenant, u));
    if (this.sharded) this.sharded.emit("/", rooms, event, payload);
    else this.emitter?.to(rooms).emit(event, payload);
  }

  toRoom(tenant: string, room: string, event: string, payload: unknown): void {
    const rooms = [socketRooms.room(tenant, room)];
    if (this.sharded) this.sharded.emit("/", rooms, event, payload);
    else this.emitter?.to(rooms).emit(event, payload);
  }

  /** Both messages go out on one Redis connection (and channel), so every node reads the event before the disconnect request. */
  disconnectUser(tenant: string, user: string, notice: DisconnectNotice): void {
    const room = socketRooms.user(tenant, user);
    for (const name of USER_NAMESPACES) {
      if (this.sharded) {
        this.sharded.emit(name, [room], "app:disconnect", notice);
        this.sharded.disconnectSockets(name, [room], true);
        continue;
      }
      const nsp = (this.emitter as Emitter).of(name);
      nsp.to(room).emit("app:disconnect", notice);
      nsp.in(room).disconnectSockets(true);
    }
  }
}

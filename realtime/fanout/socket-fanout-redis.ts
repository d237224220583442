import { Emitter } from "@socket.io/redis-emitter";
import type { Redis } from "ioredis";
import type { DisconnectNotice, SocketFanout } from "../../core/socket-fanout";
import { socketRooms } from "../../core/tenant-keys";
import { USER_NAMESPACES } from "./user-namespaces";

/** SocketFanout from a process without Socket.IO (a worker, an API-only node) through @socket.io/redis-emitter. */
export class RedisSocketFanout implements SocketFanout {
  private readonly emitter: Emitter;

  /** `key` must equal the realtime nodes' redis-adapter key. */
  constructor(redis: Redis, key: string) {
    this.emitter = new Emitter(redis, { key });
  }

  toUsers(tenant: string, users: string[], event: string, payload: unknown): void {
    if (users.length === 0) return;
    this.emitter.to(users.map((u) => socketRooms.user(tenant, u))).emit(event, payload);
  }

  toRoom(tenant: string, room: string, event: string, payload: unknown): void {
    this.emitter.to(socketRooms.room(tenant, room)).emit(event, payload);
  }

  /** Both messages go out on one Redis connection, so every node reads the event before the disconnect request. */
  disconnectUser(tenant: string, user: string, notice: DisconnectNotice): void {
    const room = socketRooms.user(tenant, user);
    for (const name of USER_NAMESPACES) {
      const nsp = this.emitter.of(name);
      nsp.to(room).emit("app:disconnect", notice);
      nsp.in(room).disconnectSockets(true);
    }
  }
}

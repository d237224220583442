import { Emitter } from "@socket.io/redis-emitter";
import type { Redis } from "ioredis";
import type { SocketFanout } from "../../core/socket-fanout";
import { socketRooms } from "../../core/tenant-keys";

/** SocketFanout from a process without Socket.IO (a worker) through @socket.io/redis-emitter. */
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
}

import type { Server } from "socket.io";
import type { SocketFanout } from "../../core/socket-fanout";
import { socketRooms } from "../../core/tenant-keys";

/** SocketFanout through a Socket.IO server in this process (embedded default; with the Redis adapter it reaches all nodes too). */
export class LocalSocketFanout implements SocketFanout {
  private io: Server | undefined;

  /** The server is created after the workers start; events before that reach no one. */
  attach(io: Server): void {
    this.io = io;
  }

  toUsers(tenant: string, users: string[], event: string, payload: unknown): void {
    if (!this.io || users.length === 0) return;
    this.io.to(users.map((u) => socketRooms.user(tenant, u))).emit(event, payload);
  }
}

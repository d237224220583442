import type { Server } from "socket.io";
import type { DisconnectNotice, SocketFanout } from "../../core/socket-fanout";
import { socketRooms } from "../../core/tenant-keys";
import { USER_NAMESPACES } from "./user-namespaces";

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

  toRoom(tenant: string, room: string, event: string, payload: unknown): void {
    this.io?.to(socketRooms.room(tenant, room)).emit(event, payload);
  }

  disconnectUser(tenant: string, user: string, notice: DisconnectNotice): void {
    if (!this.io) return;
    const room = socketRooms.user(tenant, user);
    for (const name of USER_NAMESPACES) {
      const nsp = this.io.of(name);
      nsp.to(room).emit("app:disconnect", notice);
      nsp.in(room).disconnectSockets(true);
    }
  }
}

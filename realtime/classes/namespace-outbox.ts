import type { Namespace } from "socket.io";
import type { ClassOutbox } from "../../core/class-signaling";
import { socketRooms } from "../../core/tenant-keys";

/** A ClassOutbox over the `/class` namespace: reaches sockets on every node through the adapter. */
export function namespaceOutbox(nsp: Namespace): ClassOutbox {
  return {
    toPeer: (socketId, event, payload) => void nsp.to(socketId).emit(event, payload),
    toClass: (tenant, classId, event, payload) => void nsp.to(socketRooms.class(tenant, classId)).emit(event, payload),
    detach: (socketId, tenant, classId) => nsp.in(socketId).socketsLeave(socketRooms.class(tenant, classId)),
  };
}

import type { Namespace } from "socket.io";
import { classRoomOf, type ClassOutbox } from "../../media/class-outbox";

/** A ClassOutbox over the `/class` namespace: reaches sockets on every node through the adapter. */
export function namespaceOutbox(nsp: Namespace): ClassOutbox {
  return {
    toPeer: (socketId, event, payload) => void nsp.to(socketId).emit(event, payload),
    toClass: (tenant, classId, event, payload) => void nsp.to(classRoomOf(tenant, classId)).emit(event, payload),
    detach: (socketId, tenant, classId) => nsp.in(socketId).socketsLeave(classRoomOf(tenant, classId)),
  };
}

import { AppError, ErrorCode } from "../core/errors";
import { roomJoinSchema, roomMessageSchema } from "../core/events";
import { socketRoomOf } from "../core/tenancy";
import { onEvent } from "./event-handler";
import { toDelivery, type RoomMessagePublisher } from "./room-messages";
import type { RealtimeSocket } from "./types";

export const roomEvents = new Set(["room:join", "room:leave", "room:message"]);

/** room:join, room:leave and room:message for one socket; every room is inside the caller's tenant. */
export function registerRoomHandlers(socket: RealtimeSocket, deps: { publisher: RoomMessagePublisher; maxMessageBytes: number }): void {
  const { tenant } = socket.data.principal;

  onEvent(socket, "room:join", roomJoinSchema, async ({ room }) => {
    await socket.join(socketRoomOf(tenant, room));
    return { room };
  });

  onEvent(socket, "room:leave", roomJoinSchema, async ({ room }) => {
    await socket.leave(socketRoomOf(tenant, room));
    return { room };
  });

  onEvent(socket, "room:message", roomMessageSchema, async ({ room, text }) => {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > deps.maxMessageBytes) {
      throw new AppError(ErrorCode.PayloadTooLarge, `text is ${bytes} bytes; the limit is ${deps.maxMessageBytes}`);
    }
    const target = socketRoomOf(tenant, room);
    if (!socket.rooms.has(target)) throw new AppError(ErrorCode.NotInRoom, `join room "${room}" before sending to it`);
    const event = await deps.publisher.publish(socket.data.principal, room, text);
    socket.to(target).emit("room:message", toDelivery(event));
    return { id: event.id, seq: event.data.seq };
  });
}

import type { ClassPushes } from "../core/class-signaling";

/** The Socket.IO room of a class's participants on the `/class` namespace. */
export const classRoomOf = (tenant: string, classId: string): string => `t:${tenant}:class:${classId}`;

/**
 * How a class (on its media node) reaches participants connected to any realtime node: through the
 * `/class` namespace's adapter (Redis in a cluster). At most once, like any Socket.IO emit.
 */
export interface ClassOutbox {
  toPeer<E extends keyof ClassPushes>(socketId: string, event: E, payload: ClassPushes[E]): void;
  toClass<E extends keyof ClassPushes>(tenant: string, classId: string, event: E, payload: ClassPushes[E]): void;
  /** Stops a socket (on whichever node) from receiving the class's pushes. */
  detach(socketId: string, tenant: string, classId: string): void;
}

/**
 * Which media node hosts each live class.
 *
 * Media nodes `register` with a time to live and renew it (a heartbeat). `locate` is atomic: concurrent
 * callers get the same node; a class stays on its node while that node's registration is alive and
 * moves to another live node (chosen by the class key's hash) once it lapses. With no live media node
 * `locate` fails with 5004.
 */
export interface MediaDirectory {
  register(nodeId: string, ttlMs: number): Promise<void>;
  unregister(nodeId: string): Promise<void>;
  locate(classKey: string): Promise<string>;
  /** Drops a class's placement (the class ended). */
  forget(classKey: string): Promise<void>;
}

/** A stable non-negative hash of a class key, to spread classes over nodes. */
export function classHash(classKey: string): number {
  let h = 0;
  for (let i = 0; i < classKey.length; i++) h = (Math.imul(h, 31) + classKey.charCodeAt(i)) >>> 0;
  return h;
}

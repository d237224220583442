import type { RealtimeServer } from "./types";

type IdGenerator = (req: unknown) => string | Promise<string>;

/**
 * Prefixes every Engine.IO session id this node issues with `route.` (after the engine is attached), so
 * a proxy can send a long-polling client's later requests (`?sid=route.…`) to the node that holds its
 * session: nginx/render-config.ts maps them without cookies or client addresses.
 */
export function applyStickyRoute(io: RealtimeServer, route: string): void {
  const engine = io.engine as unknown as { generateId: IdGenerator } | undefined;
  if (!engine) throw new Error("attach Socket.IO before applying a sticky route");
  const original = engine.generateId.bind(engine);
  engine.generateId = async (req) => `${route}.${await original(req)}`;
}

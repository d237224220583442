import { prefixSessionIds } from "./socketio-internals";
import type { RealtimeServer } from "./types";

/**
 * Prefixes every Engine.IO session id this node issues with `route.` (after the engine is attached), so
 * a proxy can send a long-polling client's later requests (`?sid=route.…`) to the node that holds its
 * session: nginx/render-config.ts maps them without cookies or client addresses.
 */
export function applyStickyRoute(io: RealtimeServer, route: string): void {
  prefixSessionIds(io, `${route}.`);
}

import { AppError, ErrorCode } from "../../core/errors";
import type { RealtimeSocket } from "../types";
import type { HandlerContext } from "./context";

/** Longest delay setTimeout takes (~24.8 days); later expiries re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

/** Disconnects the socket with 2002 when its token expires, unless `auth:refresh` moves the expiry. */
export function armExpiry(socket: RealtimeSocket): void {
  const timers = socket as unknown as { expiryTimer?: NodeJS.Timeout };
  clearTimeout(timers.expiryTimer);
  const ms = socket.data.principal.exp * 1000 - Date.now();
  timers.expiryTimer = setTimeout(
    () => {
      if (socket.data.principal.exp * 1000 > Date.now()) return armExpiry(socket);
      socket.emit("app:disconnect", { code: ErrorCode.TokenExpired, message: "token expired: reconnect with a new one" });
      socket.disconnect(true);
    },
    Math.max(0, Math.min(ms, MAX_TIMER)),
  );
  socket.once("disconnect", () => clearTimeout(timers.expiryTimer));
}

/** auth:refresh, feed:subscribe / feed:unsubscribe and notification:read. */
export function registerAccountHandlers(ctx: HandlerContext): void {
  const { socket, services } = ctx;
  const { on } = ctx;

  on("auth:refresh", async ({ token }) => {
    const next = await services.tokens.verify(token);
    const current = socket.data.principal;
    if (next.user !== current.user || next.tenant !== current.tenant) throw new AppError(ErrorCode.Forbidden, "a refreshed token must be for the same user and tenant");
    socket.data.principal = next;
    armExpiry(socket);
    return { exp: next.exp };
  });

  on("feed:subscribe", async ({ feed }) => {
    const p = socket.data.principal;
    await services.stores.feeds.subscribe(p.tenant, feed, p.user);
    return { feed };
  });

  on("feed:unsubscribe", async ({ feed }) => {
    const p = socket.data.principal;
    await services.stores.feeds.unsubscribe(p.tenant, feed, p.user);
    return { feed };
  });

  on("notification:read", async (payload) => {
    const p = socket.data.principal;
    return { marked: await services.stores.notifications.markRead(p.tenant, p.user, "ids" in payload ? payload.ids : undefined) };
  });
}

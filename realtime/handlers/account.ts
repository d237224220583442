import { refreshToken } from "../token-lifetime";
import type { HandlerContext } from "./context";

/** auth:refresh, feed:subscribe / feed:unsubscribe and notification:read. */
export function registerAccountHandlers(ctx: HandlerContext): void {
  const { socket, services } = ctx;
  const { on } = ctx;

  on("auth:refresh", ({ token }) => refreshToken(socket, services, token));

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

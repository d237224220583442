import { expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import type { NotificationDelivery } from "../../core/events";
import { io } from "socket.io-client";
import { eventually, nextEvent, type TestClient } from "../support/clients";
import { mintToken } from "../support/nodes";
import { ack, freshTenant } from "../support/realtime";
import type { FeatureContext } from "./context";

/** Notifications: the backlog on connect and feed subscriptions over the socket. */
export function notificationsFeatures(ctx: FeatureContext): void {
  const { pool, api } = ctx;
  it("notifications: missed ones with the unread count on connect; feed subscriptions over the socket", async () => {
    const deployment = ctx.deployment();
    const t = freshTenant("notif");
    const teacher = await api(t, "teach", "teacher");
    await teacher.post("/v1/notifications", { users: ["kim"], title: "While you were away" });
    await eventually(() => api(t, "kim").then((a) => a.get<{ unread: number }>("/v1/notifications")), (r) => r.body.unread === 1);
    // listen before the connection completes: the backlog is sent right after the handshake
    const socket: TestClient = io((deployment.nodes[1] as { url: string }).url, { auth: { token: await mintToken(t, "kim") }, transports: ["websocket"], reconnection: false, forceNew: true });
    pool.track(socket);
    const backlog = await nextEvent<{ unread: number; notifications: NotificationDelivery[] }>(socket, "notification:backlog");
    expect(backlog.unread).toBe(1);
    expect(backlog.notifications.map((n) => n.title)).toEqual(["While you were away"]);
    await teacher.post("/v1/feeds", { feed: "news", kind: "announcements", title: "News" });
    const kim = await pool.connect(2, t, "kim");
    expect(await ack(kim, "feed:subscribe", { feed: "news" })).toEqual({ feed: "news" });
    expect((await ack(kim, "feed:subscribe", { feed: "nope" })).error?.code).toBe(ErrorCode.NotFound);
    const pushed = nextEvent<NotificationDelivery>(kim, "notification");
    await teacher.post("/v1/notifications", { feed: "news", title: "Assembly at 9" });
    expect(await pushed).toMatchObject({ feed: "news", title: "Assembly at 9" });
    expect(await ack(kim, "notification:read", { all: true })).toMatchObject({ marked: expect.any(Number) });
  });
}

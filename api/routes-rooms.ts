import { Hono } from "hono";
import { z } from "zod";
import type { TokenService } from "../core/auth";
import { roomNameSchema } from "../core/tenancy";
import type { RoomMessageStore } from "../db/room-message-store";
import { bearerAuth, type AuthEnv } from "./bearer-auth";
import { parseOr400 } from "./validate";

const historyQuery = z.object({
  room: roomNameSchema,
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** GET /v1/rooms/:room/messages?after=SEQ&limit=N: a room's history of the caller's tenant, by seq. */
export function roomRoutes(tokens: TokenService, messages: RoomMessageStore): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use("/v1/rooms/*", bearerAuth(tokens));
  app.get("/v1/rooms/:room/messages", async (c) => {
    const { room, after, limit } = parseOr400(historyQuery, { ...c.req.query(), room: c.req.param("room") });
    const { tenant } = c.get("principal");
    const rows = await messages.list(tenant, room, { afterSeq: after, limit });
    const last = rows[rows.length - 1];
    return c.json({
      room,
      messages: rows.map(({ id, seq, user, text, sentAt }) => ({ id, seq, user, text, sentAt })),
      nextAfter: rows.length === limit && last ? last.seq : null,
    });
  });
  return app;
}

import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { userIdSchema } from "../../core/tenancy";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit, queryInteger, afterSequence } from "../openapi";
import { storableText } from "../../core/storable";

const conversationSchema = z
  .object({ id: z.string(), kind: z.enum(["direct", "group"]), title: z.string().nullable(), members: z.array(z.string()), createdBy: z.string(), createdAt: z.string() })
  .openapi("Conversation");
const summarySchema = conversationSchema.extend({ lastSeq: z.number().int(), lastReadSeq: z.number().int(), unread: z.number().int() }).openapi("ConversationSummary");
const chatMessageSchema = z.object({ id: z.string(), seq: z.number().int(), user: z.string(), text: z.string(), sentAt: z.string() }).openapi("ChatMessage");
const createSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("direct"), user: userIdSchema }).strict(),
  z.object({ kind: z.literal("group"), title: storableText().min(1).max(200), members: z.array(userIdSchema).min(1).max(500) }).strict(),
]);
const idParam = z.object({ id: z.string().uuid() });

export function registerConversationRoutes(app: V1App, stores: Stores): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/conversations",
      tags: ["chat"],
      summary: "The caller's conversations with unread counts",
      security: bearerSecurity,
      request: { query: z.object({ limit: pageLimit(200, 50) }) },
      responses: { 200: json(z.object({ conversations: z.array(summarySchema) }), "Newest first"), ...errors(400, 401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json({ conversations: await stores.conversations.listForUser(p.tenant, p.user, c.req.valid("query")) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/conversations",
      tags: ["chat"],
      summary: "Start a direct (one per pair) or group conversation",
      security: bearerSecurity,
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: createSchema } } } },
      responses: { 201: json(conversationSchema, "Created"), 200: json(conversationSchema, "The existing direct conversation"), ...errors(400, 401, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      if (body.kind === "direct" && body.user === p.user) throw new AppError(ErrorCode.InvalidPayload, "user: a direct conversation needs another user");
      const input = body.kind === "direct" ? { kind: body.kind, members: [body.user] } : { kind: body.kind, title: body.title, members: body.members };
      const { conversation, created } = await stores.conversations.create(p.tenant, { ...input, createdBy: p.user });
      return created ? c.json(conversation, 201) : c.json(conversation, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/conversations/{id}",
      tags: ["chat"],
      security: bearerSecurity,
      request: { params: idParam },
      responses: { 200: json(conversationSchema, "The conversation (members only)"), ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const found = await stores.conversations.getForMember(p.tenant, id, p.user);
      if (!found) throw new AppError(ErrorCode.NotFound, `no conversation ${id}`);
      return c.json(found, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/conversations/{id}/messages",
      tags: ["chat"],
      summary: "Conversation history by sequence (members only)",
      security: bearerSecurity,
      request: {
        params: idParam,
        query: z.object({ after: afterSequence(), before: queryInteger(1).optional(), limit: pageLimit(500, 100) }),
      },
      responses: { 200: json(z.object({ messages: z.array(chatMessageSchema), nextAfter: z.number().int().nullable() }), "Ascending by seq"), ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const { after, before, limit } = c.req.valid("query");
      if (!(await stores.conversations.getForMember(p.tenant, id, p.user))) throw new AppError(ErrorCode.NotFound, `no conversation ${id}`);
      const messages = await stores.conversations.messages(p.tenant, id, { afterSeq: after, beforeSeq: before, limit });
      const last = messages[messages.length - 1];
      return c.json({ messages, nextAfter: messages.length === limit && last ? last.seq : null }, 200);
    },
  );
}

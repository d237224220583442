import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { roomNameSchema, userIdSchema } from "../../core/tenancy";
import { MAX_ROSTER_USERS } from "../../db/stores/class-rosters";
import { ADMINS, STAFF, requireRole } from "../../core/roles";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit } from "../openapi";
import { storableDateTime, storableText } from "../../core/storable";
import { attendanceCsv, attendanceFilename } from "../attendance-csv";

const classSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    teacher: z.string(),
    room: z.string(),
    scheduledAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
  })
  .openapi("LiveClass");
const attendanceSchema = z
  .object({
    user: z.string(),
    firstJoin: z.string().nullable(),
    lastLeave: z.string().nullable(),
    secondsPresent: z.number().int(),
    reconnects: z.number().int(),
    present: z.boolean(),
    status: z.enum(["member", "absent", "guest"]).optional(),
  })
  .openapi("AttendanceRow");
/** The body of PUT /v1/classes/{id}/roster (docs/CLASSES.md "Roster modes"). */
const rosterInput = z
  .discriminatedUnion("mode", [
    z.object({ mode: z.literal("school") }).strict(),
    z.object({ mode: z.literal("room"), room: roomNameSchema }).strict(),
    z.object({ mode: z.literal("list"), users: z.array(userIdSchema).max(MAX_ROSTER_USERS) }).strict(),
  ])
  .openapi("RosterInput");
const rosterSchema = z
  .object({
    classId: z.string(),
    mode: z.enum(["school", "room", "list"]),
    room: z.string().optional(),
    users: z.array(z.string()).optional(),
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .openapi("ClassRoster");
const idParam = z.object({ id: z.string().uuid() });

export function registerClassRoutes(app: V1App, stores: Stores): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/classes",
      tags: ["classes"],
      summary: "Create and schedule a live class (staff; the caller is its teacher)",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF, body: true }),
      request: {
        body: { required: true, content: { "application/json": { schema: z.object({ title: storableText().min(1).max(200), room: roomNameSchema, scheduledAt: storableDateTime() }).strict() } } },
      },
      responses: { 201: json(classSchema, "Scheduled"), ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      return c.json(await stores.classes.create(p.tenant, { title: body.title, room: body.room, teacher: p.user, scheduledAt: new Date(body.scheduledAt) }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes",
      tags: ["classes"],
      summary: "Classes scheduled after `from` (default: 24 h ago), earliest first",
      security: bearerSecurity,
      request: { query: z.object({ from: storableDateTime().optional(), limit: pageLimit(200, 50) }) },
      responses: { 200: json(z.object({ classes: z.array(classSchema) }), "A page"), ...errors(400, 401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const q = c.req.valid("query");
      const from = q.from ? new Date(q.from) : new Date(Date.now() - 86_400_000);
      return c.json({ classes: await stores.classes.list(p.tenant, { from, limit: q.limit }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}",
      tags: ["classes"],
      security: bearerSecurity,
      request: { params: idParam },
      responses: { 200: json(classSchema, "The class"), ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const found = await stores.classes.get(p.tenant, c.req.valid("param").id);
      if (!found) throw new AppError(ErrorCode.NotFound, "no such class");
      return c.json(found, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}/attendance",
      tags: ["classes"],
      summary: "Attendance per participant (the class's teacher, or admins)",
      security: bearerSecurity,
      request: { params: idParam },
      responses: { 200: json(z.object({ classId: z.string(), participants: z.array(attendanceSchema) }), "One row per participant"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const found = await stores.classes.get(p.tenant, id);
      if (!found) throw new AppError(ErrorCode.NotFound, "no such class");
      if (found.teacher !== p.user) requireRole(p, ADMINS);
      return c.json({ classId: id, participants: await stores.classes.attendance(p.tenant, id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}/attendance.csv",
      tags: ["classes"],
      summary: "Attendance as CSV: user, firstJoin, lastLeave, secondsPresent, reconnects, present (the class's teacher, or admins)",
      security: bearerSecurity,
      request: { params: idParam },
      responses: { 200: { description: "RFC 4180 CSV with a header line", content: { "text/csv": { schema: z.string() } } }, ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const found = await stores.classes.get(p.tenant, id);
      if (!found) throw new AppError(ErrorCode.NotFound, "no such class");
      if (found.teacher !== p.user) requireRole(p, ADMINS);
      const csv = attendanceCsv(await stores.classes.attendance(p.tenant, id));
      return c.body(csv, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": attendanceFilename(id) });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}/roster",
      tags: ["classes"],
      summary: "The class's roster: school (everyone joins directly, the default), room (its members) or list (staff)",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF }),
      request: { params: idParam },
      responses: { 200: json(rosterSchema, "The roster"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const roster = await stores.classes.rosters.get(p.tenant, c.req.valid("param").id);
      if (!roster) throw new AppError(ErrorCode.NotFound, "no such class");
      return c.json(roster, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/classes/{id}/roster",
      tags: ["classes"],
      summary: "Replace the class's roster (staff); students off it wait in the waiting room on class:join",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF, body: true }),
      request: { params: idParam, body: { required: true, content: { "application/json": { schema: rosterInput } } } },
      responses: { 200: json(rosterSchema, "The roster as stored"), ...errors(400, 401, 403, 404, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json(await stores.classes.rosters.set(p.tenant, c.req.valid("param").id, c.req.valid("json"), p.user), 200);
    },
  );
}

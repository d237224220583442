import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { tenantScopeOf } from "../../core/roles";
import { storableDateTime } from "../../core/storable";
import { roomNameSchema, tenantIdSchema, userIdSchema } from "../../core/tenancy";
import { attendanceCsv, attendanceFilename } from "../attendance-csv";
import type { V1App, V1Deps } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit } from "../openapi";

/** Quota use at or past this share is marked (the console's 80 % line); at 1 the quota refuses. */
export const QUOTA_WARN_AT = 0.8;
const TENANT_ADMINS = ["school_admin", "super_admin"] as const;
/** Schools one overview lists at most (super_admin): the busiest first. */
const MAX_SCHOOLS = 500;

const useSchema = z.object({ used: z.number().int(), limit: z.number().int(), share: z.number(), level: z.enum(["ok", "warn", "full"]) }).openapi("QuotaUse");
const schoolSchema = z.object({ tenant: z.string(), connections: useSchema, messagesPerSecond: useSchema }).openapi("SchoolLoad");
const schoolParam = z.object({ tenant: tenantIdSchema });
const classParam = z.object({ tenant: tenantIdSchema, id: z.string().uuid() });
const roomSchema = z.object({ room: z.string(), title: z.string(), private: z.boolean(), createdBy: z.string(), createdAt: z.string() });
const classSchema = z.object({
  id: z.string(),
  title: z.string(),
  teacher: z.string(),
  room: z.string(),
  scheduledAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
const attendanceRowSchema = z.object({
  user: z.string(),
  firstJoin: z.string().nullable(),
  lastLeave: z.string().nullable(),
  secondsPresent: z.number().int(),
  reconnects: z.number().int(),
  present: z.boolean(),
  status: z.enum(["member", "absent", "guest"]).optional(),
});

function use(used: number, limit: number): z.infer<typeof useSchema> {
  const share = limit > 0 ? used / limit : used > 0 ? Infinity : 0;
  return { used, limit, share: Number.isFinite(share) ? Math.round(share * 1000) / 1000 : 1, level: share >= 1 ? "full" : share >= QUOTA_WARN_AT ? "warn" : "ok" };
}

/**
 * The console's per-school views (GET /v1/admin/overview, /v1/admin/schools/{tenant}/…): a school_admin
 * sees its own school only (another school is 404, as if absent), a super_admin any school. The figures
 * are the API's own: live connections are the connection-quota leases (cluster-wide), messages/s the
 * message-rate quota's current one-second window, limits the tenant's effective quotas.
 */
export function registerAdminSchoolRoutes(app: V1App, deps: V1Deps): void {
  const { stores } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/overview",
      tags: ["admin"],
      summary: "Live connections and messages/s per school against its quotas (school_admin: its school; super_admin: every school with connections, plus `tenant`)",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { query: z.object({ tenant: tenantIdSchema.optional() }) },
      responses: {
        200: json(z.object({ at: z.string(), warnAt: z.number(), schools: z.array(schoolSchema) }), "One entry per school, most connections first"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const asked = c.req.valid("query").tenant;
      const tenants = new Set<string>();
      if (p.role === "super_admin") {
        for (const report of await deps.nodes.list()) for (const t of Object.keys(report.tenants)) tenants.add(t);
        if (asked) tenants.add(asked);
      } else {
        tenants.add(tenantScopeOf(p, asked ?? p.tenant));
      }
      const schools = await Promise.all(
        [...tenants].slice(0, MAX_SCHOOLS).map(async (tenant) => {
          const quotas = await deps.limits.of(tenant);
          const [connections, messages] = await Promise.all([deps.liveConnections(tenant), deps.messagesThisSecond(tenant)]);
          return { tenant, connections: use(connections, quotas.maxConnections), messagesPerSecond: use(messages, quotas.maxMessagesPerSecond) };
        }),
      );
      schools.sort((a, b) => b.connections.used - a.connections.used || a.tenant.localeCompare(b.tenant));
      return c.json({ at: new Date().toISOString(), warnAt: QUOTA_WARN_AT, schools }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/schools/{tenant}/rooms",
      tags: ["admin"],
      summary: "A school's rooms, private ones included, by name",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: schoolParam, query: z.object({ after: roomNameSchema.optional(), limit: pageLimit(200, 50) }) },
      responses: { 200: json(z.object({ rooms: z.array(roomSchema), nextAfter: z.string().nullable() }), "A page of rooms"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const tenant = tenantScopeOf(p, c.req.valid("param").tenant);
      const { after, limit } = c.req.valid("query");
      const rooms = await stores.rooms.list(tenant, p.user, { staff: true, after, limit });
      return c.json({ rooms, nextAfter: rooms.length === limit ? (rooms[rooms.length - 1]?.room ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/schools/{tenant}/rooms/{room}/members",
      tags: ["admin"],
      summary: "A room's members, by user id",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: z.object({ tenant: tenantIdSchema, room: roomNameSchema }), query: z.object({ after: userIdSchema.optional(), limit: pageLimit(500, 100) }) },
      responses: {
        200: json(z.object({ members: z.array(z.object({ user: z.string(), joinedAt: z.string() })), nextAfter: z.string().nullable() }), "A page of members"),
        ...errors(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room } = c.req.valid("param");
      const tenant = tenantScopeOf(p, c.req.valid("param").tenant);
      const { after, limit } = c.req.valid("query");
      if (!(await stores.rooms.get(tenant, room))) throw new AppError(ErrorCode.NotFound, `no room "${room}"`);
      const members = await stores.rooms.members(tenant, room, { after, limit });
      return c.json({ members, nextAfter: members.length === limit ? (members[members.length - 1]?.user ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/schools/{tenant}/classes",
      tags: ["admin"],
      summary: "A school's classes scheduled after `from` (default: 24 h ago), earliest first",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: schoolParam, query: z.object({ from: storableDateTime().optional(), limit: pageLimit(200, 50) }) },
      responses: { 200: json(z.object({ classes: z.array(classSchema) }), "A page of classes"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      const q = c.req.valid("query");
      const from = q.from ? new Date(q.from) : new Date(Date.now() - 86_400_000);
      return c.json({ classes: await stores.classes.list(tenant, { from, limit: q.limit }) }, 200);
    },
  );

  const attendanceOf = async (tenant: string, id: string) => {
    if (!(await stores.classes.get(tenant, id))) throw new AppError(ErrorCode.NotFound, "no such class");
    return stores.classes.attendance(tenant, id);
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/schools/{tenant}/classes/{id}/attendance",
      tags: ["admin"],
      summary: "A class's attendance, one row per participant",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: classParam },
      responses: { 200: json(z.object({ classId: z.string(), participants: z.array(attendanceRowSchema) }), "One row per participant"), ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      return c.json({ classId: id, participants: await attendanceOf(tenant, id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/schools/{tenant}/classes/{id}/attendance.csv",
      tags: ["admin"],
      summary: "A class's attendance as CSV (user, firstJoin, lastLeave, secondsPresent, reconnects, present)",
      security: bearerSecurity,
      middleware: guard({ roles: TENANT_ADMINS }),
      request: { params: classParam },
      responses: { 200: { description: "RFC 4180 CSV with a header line", content: { "text/csv": { schema: z.string() } } }, ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const tenant = tenantScopeOf(c.get("principal"), c.req.valid("param").tenant);
      const csv = attendanceCsv(await attendanceOf(tenant, id));
      return c.body(csv, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": attendanceFilename(id) });
    },
  );
}

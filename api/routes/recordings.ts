import { Readable } from "node:stream";
import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { ADMINS } from "../../core/roles";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";
import { parseByteRange } from "./byte-range";

const recordingSchema = z
  .object({
    id: z.string(),
    classId: z.string(),
    sessionId: z.string(),
    part: z.number().int(),
    status: z.enum(["recording", "complete", "recovered", "failed"]),
    contentType: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    bytes: z.number().int().nullable(),
    durationMs: z.number().int().nullable(),
  })
  .openapi("Recording");
const settingsSchema = z.object({ retentionDays: z.number().int().min(1).max(3650) }).strict().openapi("RecordingSettings");

/**
 * Recordings of a class (docs/RECORDING.md): the list, and each part's file with HTTP Range. Any user of
 * the class's school may list and download (like the class itself); another school gets 404. Retention
 * per school: admins read and set it.
 */
export function registerRecordingRoutes(app: V1App, stores: Pick<Stores, "classes" | "recordings" | "recordingFiles">): void {
  const classOf = async (tenant: string, id: string) => {
    if (!(await stores.classes.get(tenant, id))) throw new AppError(ErrorCode.NotFound, "no such class");
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}/recordings",
      tags: ["recordings"],
      summary: "The class's recorded parts, oldest first",
      security: bearerSecurity,
      request: { params: z.object({ id: z.string().uuid() }) },
      responses: { 200: json(z.object({ classId: z.string(), recordings: z.array(recordingSchema) }), "The parts"), ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      await classOf(p.tenant, id);
      const rows = await stores.recordings.list(p.tenant, id);
      return c.json({ classId: id, recordings: rows.map(({ storageKey: _key, ...view }) => view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/classes/{id}/recordings/{rid}/file",
      tags: ["recordings"],
      summary: "A recorded part's file; supports one HTTP Range (206, Content-Range; 416 when unsatisfiable)",
      security: bearerSecurity,
      request: { params: z.object({ id: z.string().uuid(), rid: z.string().uuid() }), headers: z.object({ range: z.string().max(200).optional() }) },
      responses: {
        200: { description: "The whole file", content: { "video/webm": { schema: z.string().openapi({ format: "binary" }) } } },
        206: { description: "The requested range", content: { "video/webm": { schema: z.string().openapi({ format: "binary" }) } } },
        ...errors(400, 401, 404, 409, 416, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id, rid } = c.req.valid("param");
      await classOf(p.tenant, id);
      const row = await stores.recordings.get(p.tenant, id, rid);
      if (!row) throw new AppError(ErrorCode.NotFound, "no such recording");
      if (row.status === "recording" || row.status === "failed") throw new AppError(ErrorCode.Conflict, `the recording is ${row.status === "recording" ? "still being written" : "failed: it has no file"}`);
      const size = await stores.recordingFiles.size(row.storageKey);
      if (size === undefined) throw new AppError(ErrorCode.NotFound, "the recording's file is gone (retention)");
      const range = parseByteRange(c.req.header("range"), size);
      const body = Readable.toWeb(await stores.recordingFiles.read(row.storageKey, range)) as ReadableStream<Uint8Array>;
      const headers: Record<string, string> = {
        "content-type": row.contentType,
        "accept-ranges": "bytes",
        "content-length": String(range ? range.end - range.start + 1 : size),
        "content-disposition": `attachment; filename="${rid}.${row.contentType === "video/webm" ? "webm" : "mkv"}"`,
      };
      if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
      return new Response(body, { status: range ? 206 : 200, headers }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/recording-settings",
      tags: ["recordings"],
      summary: "The school's recording retention (admins)",
      security: bearerSecurity,
      middleware: guard({ roles: ADMINS }),
      responses: { 200: json(settingsSchema, "The settings"), ...errors(401, 403, 429) },
    }),
    async (c) => c.json({ retentionDays: await stores.recordings.retentionDays(c.get("principal").tenant) }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/recording-settings",
      tags: ["recordings"],
      summary: "Sets how many days the school's recordings are kept (admins); older parts are deleted by the retention sweep",
      security: bearerSecurity,
      middleware: guard({ roles: ADMINS, body: true }),
      request: { body: { required: true, content: { "application/json": { schema: settingsSchema } } } },
      responses: { 200: json(settingsSchema, "Saved"), ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      const { retentionDays } = c.req.valid("json");
      await stores.recordings.setRetentionDays(c.get("principal").tenant, retentionDays);
      return c.json({ retentionDays }, 200);
    },
  );
}

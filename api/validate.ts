import type { z } from "zod";
import { AppError, ErrorCode } from "../core/errors";

/** Parses input with a schema or throws 1001 naming the first offending field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") || "body";
  const code = issue?.path[0] === "room" ? ErrorCode.InvalidRoomName : ErrorCode.InvalidPayload;
  throw new AppError(code, `${path}: ${issue?.message ?? "invalid"}`);
}

/** The JSON body of a request, or 1001 when it is not JSON. */
export async function jsonBody(req: { json(): Promise<unknown> }): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new AppError(ErrorCode.InvalidPayload, "body must be JSON");
  }
}

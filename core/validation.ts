import type { z } from "zod";
import { AppError, ErrorCode } from "./errors";

/** A failed validation as a numbered error: a bad room name has its own code (1004), the rest 1001. */
export function validationError(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const path = issue?.path.join(".") || "payload";
  const code = issue?.path[0] === "room" ? ErrorCode.InvalidRoomName : ErrorCode.InvalidPayload;
  return new AppError(code, `${path}: ${issue?.message ?? "invalid"}`);
}

import type { z } from "zod";
import { AppError, ErrorCode } from "./errors";

type Issue = z.core.$ZodIssue;

/**
 * The issue to report: the first one, except that a union no branch of which matched (without a message
 * of its own) is reported by the branch that came closest (fewest issues), so the message names a field.
 */
function reportedIssue(issues: readonly Issue[]): { path: PropertyKey[]; message: string } | undefined {
  const issue = issues[0];
  if (!issue) return undefined;
  if (issue.code === "invalid_union" && issue.message === "Invalid input" && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    const inner = reportedIssue(closest);
    if (inner) return { path: [...issue.path, ...inner.path], message: inner.message };
  }
  return { path: issue.path, message: issue.message };
}

/** A failed validation as a numbered error: a bad room name has its own code (1004), the rest 1001. */
export function validationError(error: z.ZodError): AppError {
  const issue = reportedIssue(error.issues);
  const path = issue?.path.map(String).join(".") || "payload";
  const code = issue?.path[0] === "room" ? ErrorCode.InvalidRoomName : ErrorCode.InvalidPayload;
  return new AppError(code, `${path}: ${issue?.message ?? "invalid"}`);
}

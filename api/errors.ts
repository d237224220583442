import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, ErrorCode, httpStatusOf, toAppError } from "../core/errors";
import { errorFields } from "../core/log";
import { requestLogger } from "./observe";

/** The one error handler: every failure leaves as `{ error: { code, message } }` with a matching status. */
export function onApiError(err: Error, c: Context): Response {
  let appError: AppError;
  if (err instanceof HTTPException) {
    const code = err.status === 413 ? ErrorCode.PayloadTooLarge : err.status === 401 ? ErrorCode.Unauthorized : ErrorCode.InvalidPayload;
    appError = new AppError(code, err.message || "bad request");
  } else {
    appError = toAppError(err);
  }
  if (appError.code === ErrorCode.Internal) requestLogger(c).error({ ...errorFields(appError.cause ?? appError), code: appError.code }, "api: request failed");
  const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === "number") c.header("Retry-After", String(retryAfter));
  return c.json({ error: appError.toBody() }, httpStatusOf(appError.code) as ContentfulStatusCode);
}

export function onApiNotFound(c: Context): Response {
  return c.json({ error: { code: ErrorCode.NotFoundRoute, message: `no route ${c.req.method} ${c.req.path}` } }, 404);
}

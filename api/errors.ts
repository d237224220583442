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
  if (appError.retryAfterMs !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(appError.retryAfterMs / 1000))));
  return c.json({ error: appError.toBody() }, httpStatusOf(appError.code) as ContentfulStatusCode);
}

/** A served route: its method (lower case) and its OpenAPI path (`/v1/rooms/{room}`). */
export interface ServedRoute {
  method: string;
  path: string;
}

/** The methods served on `path`, for an `Allow` header (HEAD wherever GET is: Hono answers it). */
export function allowedMethods(routes: readonly ServedRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    const pattern = new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^/}]+\\?\}/g, "[^/]+")}$`);
    if (!pattern.test(path)) continue;
    methods.add(route.method.toUpperCase());
    if (route.method.toLowerCase() === "get") methods.add("HEAD");
  }
  return [...methods].sort();
}

/**
 * No route matched: 405 (1008) with an `Allow` header when the path is served with other methods,
 * else 404 (1005). `routes` is read per request, so routes added after the handler is made count.
 */
export function onApiNotFound(routes: () => readonly ServedRoute[]) {
  return (c: Context): Response => {
    const allow = allowedMethods(routes(), c.req.path);
    if (allow.length > 0) {
      c.header("Allow", allow.join(", "));
      return c.json({ error: { code: ErrorCode.MethodNotAllowed, message: `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allow.join(", ")})` } }, 405);
    }
    return c.json({ error: { code: ErrorCode.NotFoundRoute, message: `no route ${c.req.method} ${c.req.path}` } }, 404);
  };
}

import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../core/auth";
import { defaultLogger, type Logger } from "../core/log";
import type { Metrics } from "../core/metrics/registry";
import { Attr, SpanKind, extractContext, inSpan, recordFailure, type Carrier } from "../core/tracing";

declare module "hono" {
  interface ContextVariableMap {
    /** X-Request-Id of the request (the caller's, or a new UUID), echoed on the response. */
    requestId: string;
    /** The process's logger; use `requestLogger(c)` for one with the request's fields. */
    baseLog: Logger;
  }
}

/** A caller's X-Request-Id is kept when it is a short token; otherwise a new one is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Logger for one request: `requestId`, method and path, and tenant and user once authenticated.
 * Built on demand (only requests that log pay for it).
 */
export function requestLogger(c: Context): Logger {
  const principal = (c.var as { principal?: Principal }).principal;
  return (c.get("baseLog") ?? defaultLogger()).child({
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    ...(principal ? { tenant: principal.tenant, user: principal.user } : {}),
  });
}

/**
 * First middleware of the HTTP app: gives the request an id (X-Request-Id in and out), runs it in a
 * server span `<METHOD> <route>` (continuing a caller's W3C `traceparent`; failed on 5xx), and records
 * `interlinked_api_requests_total` and `interlinked_api_request_duration_seconds` by method, route, status.
 */
export function observeRequests(deps: { metrics?: Metrics; log: Logger }): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.set("baseLog", deps.log);
    const carrier: Carrier = {};
    const traceparent = c.req.header("traceparent");
    if (traceparent) {
      carrier.traceparent = traceparent;
      const tracestate = c.req.header("tracestate");
      if (tracestate) carrier.tracestate = tracestate;
    }
    const method = c.req.method;
    const attributes = { [Attr.httpMethod]: method, [Attr.urlPath]: c.req.path, [Attr.requestId]: requestId };
    await inSpan(method, { kind: SpanKind.SERVER, attributes, parent: extractContext(traceparent ? carrier : undefined) }, async (span) => {
      await next();
      const route = c.req.routePath;
      const status = c.res.status;
      c.header("X-Request-Id", requestId);
      span.updateName(`${method} ${route}`);
      span.setAttributes({ [Attr.httpRoute]: route, [Attr.httpStatus]: status });
      const principal = (c.var as { principal?: Principal }).principal;
      if (principal) span.setAttributes({ [Attr.tenant]: principal.tenant, [Attr.user]: principal.user });
      if (c.error) span.setAttribute(Attr.errorType, c.error.name);
      if (status >= 500) recordFailure(span, c.error ?? new Error(`HTTP ${status}`));
      if (deps.metrics) {
        const labels = { method, route, status: String(status) };
        deps.metrics.apiRequests.inc(labels);
        deps.metrics.apiRequestSeconds.observe(labels, (performance.now() - started) / 1000);
      }
    });
  };
}

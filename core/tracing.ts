import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type Tracer } from "@opentelemetry/api";
import { AppError, ErrorCode } from "./errors";

/**
 * Tracing seam of the lower layers: only `@opentelemetry/api`. Until the composition root registers an
 * SDK (app/tracing.ts, when OTEL_* asks for it) every call here is the API's no-op: spans are not
 * recorded, `injectContext` writes nothing and `extractContext` yields the root context.
 */
export function tracer(): Tracer {
  // looked up per use, not cached: a provider registered (or replaced) later is picked up
  return trace.getTracer("interlinked");
}

export { SpanKind };

/**
 * Attribute names: OpenTelemetry semantic conventions where one exists (messaging, db, http), else
 * `interlinked.*`. Kept here so the lower layers need no conventions package.
 */
export const Attr = {
  messagingSystem: "messaging.system",
  messagingDestination: "messaging.destination.name",
  messagingOperationType: "messaging.operation.type",
  messagingOperationName: "messaging.operation.name",
  messagingBatchCount: "messaging.batch.message_count",
  messagingConsumerGroup: "messaging.consumer.group.name",
  messagingKafkaKey: "messaging.kafka.message.key",
  dbSystem: "db.system.name",
  dbOperation: "db.operation.name",
  dbCollection: "db.collection.name",
  dbBatchSize: "db.operation.batch.size",
  httpMethod: "http.request.method",
  httpRoute: "http.route",
  httpStatus: "http.response.status_code",
  urlPath: "url.path",
  errorType: "error.type",
  tenant: "interlinked.tenant",
  user: "enduser.id",
  node: "interlinked.node",
  socketId: "interlinked.socket.id",
  socketEvent: "interlinked.socket.event",
  stream: "interlinked.stream",
  errorCode: "interlinked.error.code",
  requestId: "interlinked.request.id",
} as const;

/** Marks a span failed: the error is recorded as an exception event, with its AppError code when it has one. */
export function recordFailure(span: Span, err: unknown): void {
  if (err instanceof AppError) span.setAttribute(Attr.errorCode, err.code);
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** A refusal the client caused (1xxx–4xxx) is an outcome, not a failure of the span; 5xxx and unknown errors are failures. */
export function isServerFailure(err: unknown): boolean {
  return !(err instanceof AppError) || err.code >= ErrorCode.Internal;
}

/**
 * Runs `work` inside a new active span (child of the active context, or of `parent`), ends it when
 * `work` settles and marks it failed when `work` throws (rethrown unchanged).
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links }, parent, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      if (isServerFailure(err)) recordFailure(span, err);
      else if (err instanceof AppError) span.setAttribute(Attr.errorCode, err.code);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Header carrier: string values only (Kafka record headers, HTTP headers). */
export type Carrier = Record<string, string>;

/**
 * The W3C trace context (`traceparent`, `tracestate`) of `ctx` (default: the active one) as headers,
 * or undefined when there is nothing to propagate (no SDK, or no span).
 */
export function injectContext(ctx: Context = context.active()): Carrier | undefined {
  const carrier: Carrier = {};
  propagation.inject(ctx, carrier);
  return "traceparent" in carrier ? carrier : undefined;
}

/** The context carried by headers written with `injectContext` (the root context when they carry none). */
export function extractContext(headers: Carrier | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
}

/**
 * Links to the spans whose contexts the carriers hold, once per span and leaving out `parent`'s span
 * (batch consumers: the batch's span is the child of one record's producer and linked to the others').
 */
export function linksOf(carriers: Array<Carrier | undefined>, parent?: Context): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  const parentSpan = parent && trace.getSpanContext(parent);
  if (parentSpan) seen.add(parentSpan.spanId);
  for (const c of carriers) {
    if (!c) continue;
    const spanContext = trace.getSpanContext(extractContext(c));
    if (!spanContext || !trace.isSpanContextValid(spanContext) || seen.has(spanContext.spanId)) continue;
    seen.add(spanContext.spanId);
    links.push({ context: spanContext });
  }
  return links;
}

/** `trace_id` / `span_id` of the active recording span, for log records (empty when tracing is off). */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span || !span.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

import type { TracingOptions } from "../core/config";
import type { Logger } from "../core/log";

/** The tracing SDK of this process while at least one node uses it. */
interface Active {
  refs: number;
  shutdown(): Promise<void>;
}

let active: Promise<Active> | undefined;

/**
 * Starts OpenTelemetry tracing for this process when `options.exporter` is not "none": a NodeTracerProvider
 * (AsyncLocalStorage context, W3C trace-context and baggage propagators, parent-based ratio sampler) with
 * a batch processor exporting over OTLP/HTTP. The SDK packages are imported only then, so a process with
 * tracing off runs the `@opentelemetry/api` no-ops alone.
 *
 * The SDK is global to the process: the first node's settings win (the node id becomes
 * `service.instance.id`); nodes sharing a process share it. The returned `release` flushes pending spans
 * and, when the last node releases it, shuts the SDK down and unregisters it.
 */
export async function startTracing(options: TracingOptions, nodeId: string, log: Logger): Promise<() => Promise<void>> {
  if (options.exporter === "none") return async () => undefined;
  active ??= register(options, nodeId, log).catch((err: unknown) => {
    active = undefined;
    throw err;
  });
  const sdk = await active;
  sdk.refs++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--sdk.refs > 0) return;
    active = undefined;
    await sdk.shutdown();
  };
}

async function register(options: TracingOptions, nodeId: string, log: Logger): Promise<Active> {
  const [{ context, propagation, trace }, sdk, { resourceFromAttributes, defaultResource }, semconv] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
  ]);
  const exporter =
    options.exporter === "otlp"
      ? new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url: options.endpoint, headers: options.headers })
      : new sdk.ConsoleSpanExporter();
  const provider = new sdk.NodeTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...options.resourceAttributes,
        [semconv.ATTR_SERVICE_NAME]: options.serviceName,
        [semconv.ATTR_SERVICE_INSTANCE_ID]: nodeId,
      }),
    ),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs })],
  });
  provider.register();
  log.info({ exporter: options.exporter, endpoint: options.exporter === "otlp" ? options.endpoint : undefined, service: options.serviceName, sampleRatio: options.sampleRatio }, "tracing on");
  return {
    refs: 0,
    shutdown: async () => {
      await provider.shutdown().catch((err: unknown) => log.warn({ err }, "tracing: flushing spans at shutdown failed"));
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

/** A running Jaeger: where to send spans (OTLP/HTTP) and where to read traces (query HTTP API). */
export interface RunningJaeger {
  /** OTLP/HTTP base URL (the 4318 equivalent): set as OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpUrl: string;
  /** Query API and UI (the 16686 equivalent): GET /api/traces?service=…, /api/services. */
  queryUrl: string;
  proc: ServiceProcess;
}

/**
 * Jaeger's configuration (the `cmd/jaeger` binary is an OpenTelemetry Collector distribution): an OTLP
 * HTTP receiver, in-memory trace storage and the query API, all on the given loopback ports, nothing
 * else listening (no Prometheus endpoint of its own, no gRPC/Thrift/Zipkin receivers).
 */
function config(ports: { otlp: number; query: number; queryGrpc: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: info
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  return res.ok;
}

/** Starts a throwaway Jaeger (in-memory) on free loopback ports; its log is `<logDir>/jaeger.log`. */
export async function startJaeger(bin: string, dir: string, logDir: string): Promise<RunningJaeger> {
  const ports = { otlp: await freePort(), query: await freePort(), queryGrpc: await freePort() };
  const file = join(dir, "jaeger.yaml");
  writeFileSync(file, config(ports));
  // its own telemetry stays off: no OTEL_* of the caller reaches it
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
  const proc = spawnService({ name: "jaeger", command: bin, args: ["--config", file], logFile: join(logDir, "jaeger.log"), env: { ...env, OTEL_SDK_DISABLED: "true" } });
  const queryUrl = `http://127.0.0.1:${ports.query}`;
  const otlpUrl = `http://127.0.0.1:${ports.otlp}`;
  try {
    await waitUntil("jaeger query API", () => answers(`${queryUrl}/api/services`), { timeoutMs: 30_000, proc });
    // the receiver answers 405 to GET on its path once it listens
    await waitUntil("jaeger OTLP receiver", async () => (await fetch(`${otlpUrl}/v1/traces`, { signal: AbortSignal.timeout(1_000) })).status > 0, { timeoutMs: 30_000, proc });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { otlpUrl, queryUrl, proc };
}

/** One span of a trace as Jaeger's query API returns it (the fields the tests read). */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  tags: Array<{ key: string; type: string; value: unknown }>;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

/** Traces Jaeger holds for `service` (GET /api/traces), newest first. */
export async function jaegerTraces(queryUrl: string, service: string, lookback = "1h"): Promise<JaegerTrace[]> {
  const res = await fetch(`${queryUrl}/api/traces?service=${encodeURIComponent(service)}&lookback=${lookback}&limit=100`);
  if (res.status === 404) return []; // a service Jaeger has not seen yet
  if (!res.ok) throw new Error(`jaeger /api/traces answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

import { describe, expect, it } from "vitest";
import { tracingDefaults } from "./config";
import { configFromEnv, dataDirFrom, logLevelFrom, tracingFrom } from "./config-env";

describe("DATA_DIR", () => {
  it("defaults to ./data and refuses a URL before anything is written under it", () => {
    expect(dataDirFrom(undefined)).toBe("./data");
    expect(dataDirFrom("/var/lib/interlinked")).toBe("/var/lib/interlinked");
    expect(() => dataDirFrom("memory://")).toThrow(/DATA_DIR must be a directory path/);
    expect(() => configFromEnv({ DATA_DIR: "memory://" })).toThrow(/DATA_DIR must be a directory path/);
  });
});

describe("LOG_LEVEL", () => {
  it("defaults to info, accepts pino's levels in any case, refuses others", () => {
    expect(logLevelFrom(undefined)).toBe("info");
    expect(logLevelFrom("")).toBe("info");
    expect(logLevelFrom("DEBUG")).toBe("debug");
    expect(logLevelFrom("silent")).toBe("silent");
    expect(() => logLevelFrom("verbose")).toThrow(/LOG_LEVEL must be one of/);
  });
});

describe("tracing from OTEL_* variables", () => {
  it("is off when nothing is set", () => {
    expect(tracingFrom({})).toEqual(tracingDefaults);
  });

  it("turns on OTLP/HTTP when an endpoint is set, appending /v1/traces to the base URL", () => {
    const t = tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318/", OTEL_SERVICE_NAME: "il", OTEL_BSP_SCHEDULE_DELAY: "200" });
    expect(t).toMatchObject({ exporter: "otlp", endpoint: "http://jaeger:4318/v1/traces", serviceName: "il", exportDelayMs: 200, sampleRatio: 1 });
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/custom" }).endpoint).toBe("http://c:4318/custom");
  });

  it("honours OTEL_TRACES_EXPORTER, OTEL_SDK_DISABLED, headers, resource attributes and the sampler", () => {
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://j:4318", OTEL_TRACES_EXPORTER: "none" }).exporter).toBe("none");
    expect(tracingFrom({ OTEL_TRACES_EXPORTER: "console" }).exporter).toBe("console");
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://j:4318", OTEL_SDK_DISABLED: "true" }).exporter).toBe("none");
    const t = tracingFrom({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b,x=1",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x=2",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=staging,service.name=from-attrs",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    expect(t).toMatchObject({
      exporter: "otlp",
      endpoint: tracingDefaults.endpoint,
      headers: { "api-key": "a b", x: "2" },
      serviceName: "from-attrs",
      resourceAttributes: { "deployment.environment.name": "staging" },
      sampleRatio: 0.25,
    });
    expect(tracingFrom({ OTEL_TRACES_SAMPLER: "always_off" }).sampleRatio).toBe(0);
  });

  it("refuses what it cannot do instead of silently not tracing", () => {
    expect(() => tracingFrom({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(/not supported/);
    expect(() => tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://j:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/grpc is not supported/);
    expect(() => tracingFrom({ OTEL_TRACES_SAMPLER: "sometimes" })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => tracingFrom({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => tracingFrom({ OTEL_RESOURCE_ATTRIBUTES: "novalue" })).toThrow(/key=value/);
  });
});

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGoTool } from "../tools/services/go-tools";
import { jaegerTraces, startJaeger, type JaegerSpan, type JaegerTrace, type RunningJaeger } from "../tools/services/jaeger";
import { connectClient, emitWithAck, nextEvent, type TestClient } from "./support/clients";
import { tracingDefaults } from "../core/config";
import { mintToken, startEmbeddedDeployment, startProcessDeployment } from "./support/nodes";

/**
 * Distributed tracing end to end, against a real OTLP receiver (Jaeger, in memory): one realtime+API
 * node and one worker as real processes (`npm start` entry) on Redis, Kafka and PostgreSQL, exporting
 * with the standard OTEL_* variables. A room message sent from socket.io-client must appear as ONE
 * trace: the socket event on the realtime node → the Kafka publish → the worker's consume (another
 * process, joined through the record's `traceparent` header) → the PostgreSQL insert.
 */

type Deployment = Awaited<ReturnType<typeof startProcessDeployment>>;

const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;
const parentOf = (span: JaegerSpan): string | undefined => span.references.find((r) => r.refType === "CHILD_OF")?.spanID;
const instanceOf = (trace: JaegerTrace, span: JaegerSpan): unknown => trace.processes[span.processID]?.tags.find((t) => t.key === "service.instance.id")?.value;

/** Polls Jaeger until `find` picks something out of the service's traces (spans are exported in batches). */
async function waitForTrace<T>(jaeger: RunningJaeger, service: string, find: (traces: JaegerTrace[]) => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  let traces: JaegerTrace[] = [];
  while (Date.now() < deadline) {
    traces = await jaegerTraces(jaeger.queryUrl, service);
    const found = find(traces);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
  const seen = traces.map((t) => t.spans.map((s) => s.operationName).join(", ")).join(" | ");
  throw new Error(`Jaeger has no trace with ${what} after 30 s; traces of ${service}: ${seen || "none"}`);
}

describe("tracing: socket event → Kafka → worker → PostgreSQL in one trace (Jaeger)", () => {
  const service = `interlinked-test-${randomBytes(4).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "interlinked-jaeger-"));
  let jaeger: RunningJaeger | undefined;
  let deployment: Deployment | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    let bin: string;
    try {
      bin = await ensureGoTool("jaeger", process.env.JAEGER_BIN, (line) => console.log(`[jaeger] ${line}`));
    } catch (err) {
      throw new Error(`the tracing test needs Jaeger (a real OTLP receiver) and could not get it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    jaeger = await startJaeger(bin, dir, dir);
    deployment = await startProcessDeployment(1, {
      engine: "ws",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl,
        OTEL_SERVICE_NAME: service,
        OTEL_BSP_SCHEDULE_DELAY: "200",
      },
    });
  }, 600_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await deployment?.close();
    await jaeger?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("one room message yields one trace with the realtime, Kafka publish, worker consume and PostgreSQL write spans", async () => {
    const url = (deployment as Deployment).nodes[0]?.url as string;
    const [sender, listener] = await Promise.all([connectClient(url, await mintToken("school-a", "sender")), connectClient(url, await mintToken("school-a", "listener"))]);
    clients.push(sender, listener);
    await emitWithAck(sender, "room:join", { room: "traced" });
    await emitWithAck(listener, "room:join", { room: "traced" });
    const delivered = nextEvent<{ id: string }>(listener, "room:message");
    const ack = (await emitWithAck(sender, "room:message", { room: "traced", text: "follow me" })) as { id: string };
    expect(ack.id).toEqual(expect.any(String));
    expect((await delivered).id).toBe(ack.id);

    const found = await waitForTrace(
      jaeger as RunningJaeger,
      service,
      (traces) => {
        for (const trace of traces) {
          const socket = trace.spans.find((s) => s.operationName === "realtime room:message");
          const insert = trace.spans.find((s) => s.operationName === "INSERT room_messages");
          if (socket && insert) return { trace, socket, insert };
        }
        return undefined;
      },
      'both "realtime room:message" and "INSERT room_messages"',
    );
    const { trace, socket, insert } = found;
    const publish = trace.spans.find((s) => s.operationName.startsWith("publish ") && s.operationName.endsWith(".room-messages"));
    const consume = trace.spans.find((s) => s.operationName === "process room-messages");
    const names = trace.spans.map((s) => s.operationName).join(", ");
    expect(publish, `no Kafka publish span in the trace (${names})`).toBeDefined();
    expect(consume, `no worker consume span in the trace (${names})`).toBeDefined();
    if (!publish || !consume) return;

    // one trace, and each span the child of the one before it
    expect(new Set([socket, publish, consume, insert].map((s) => s.traceID)).size).toBe(1);
    expect(parentOf(publish)).toBe(socket.spanID);
    expect(parentOf(consume)).toBe(publish.spanID);
    expect(parentOf(insert)).toBe(consume.spanID);

    // what each span says
    expect(tag(socket, "span.kind")).toBe("server");
    expect(tag(socket, "interlinked.tenant")).toBe("school-a");
    expect(tag(socket, "enduser.id")).toBe("sender");
    expect(tag(publish, "span.kind")).toBe("producer");
    expect(tag(publish, "messaging.system")).toBe("kafka");
    expect(tag(consume, "span.kind")).toBe("consumer");
    expect(tag(consume, "messaging.consumer.group.name")).toBe("persist-roomMessages");
    expect(tag(insert, "span.kind")).toBe("client");
    expect(tag(insert, "db.system.name")).toBe("postgresql");
    expect(tag(insert, "db.collection.name")).toBe("room_messages");

    // the realtime node and the worker are different processes: the context crossed Kafka in the record headers
    const realtimeNode = instanceOf(trace, socket);
    const workerNode = instanceOf(trace, consume);
    expect(realtimeNode).toMatch(/-node-0$/);
    expect(workerNode).toMatch(/-worker$/);
    expect(instanceOf(trace, publish)).toBe(realtimeNode);
    expect(instanceOf(trace, insert)).toBe(workerNode);
  }, 90_000);

  it("embedded (in-memory bus): the message's trace runs from the socket event through the bus to the PGlite insert", async () => {
    const embeddedService = `${service}-embedded`;
    const tracing = { ...tracingDefaults, exporter: "otlp" as const, endpoint: `${(jaeger as RunningJaeger).otlpUrl}/v1/traces`, serviceName: embeddedService, exportDelayMs: 200 };
    const embedded = await startEmbeddedDeployment({ tracing });
    try {
      const url = embedded.nodes[0]?.url as string;
      const sender = await connectClient(url, await mintToken("school-a", "sender"));
      clients.push(sender);
      await emitWithAck(sender, "room:join", { room: "traced" });
      expect(await emitWithAck(sender, "room:message", { room: "traced", text: "in process" })).toMatchObject({ id: expect.any(String) });
      const { socket, consume, insert } = await waitForTrace(
        jaeger as RunningJaeger,
        embeddedService,
        (traces) => {
          for (const trace of traces) {
            const spans = (name: string) => trace.spans.find((s) => s.operationName === name);
            const [socket, consume, insert] = [spans("realtime room:message"), spans("process room-messages"), spans("INSERT room_messages")];
            if (socket && consume && insert) return { socket, consume, insert };
          }
          return undefined;
        },
        '"realtime room:message", "process room-messages" and "INSERT room_messages"',
      );
      // no broker in between: the worker's span continues the socket event's context carried in the record headers
      expect(parentOf(consume)).toBe(socket.spanID);
      expect(parentOf(insert)).toBe(consume.spanID);
    } finally {
      await embedded.close(); // also flushes and unregisters the in-process tracing SDK
    }
  }, 90_000);

  it("every API request gets a server span that continues the caller's traceparent", async () => {
    const url = (deployment as Deployment).nodes[0]?.url as string;
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const res = await fetch(`${url}/v1/rooms`, {
      headers: { authorization: `Bearer ${await mintToken("school-a", "reader")}`, traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toEqual(expect.any(String));

    const span = await waitForTrace(
      jaeger as RunningJaeger,
      service,
      (traces) => traces.find((t) => t.traceID === traceId)?.spans.find((s) => s.operationName === "GET /v1/rooms"),
      `the caller's trace id ${traceId} and a "GET /v1/rooms" span`,
    );
    expect(parentOf(span)).toBe(callerSpan);
    expect(tag(span, "span.kind")).toBe("server");
    expect(tag(span, "http.route")).toBe("/v1/rooms");
    expect(tag(span, "http.response.status_code")).toBe(200);
    expect(tag(span, "interlinked.tenant")).toBe("school-a");
    expect(tag(span, "interlinked.request.id")).toBe(res.headers.get("x-request-id"));
  }, 60_000);
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import type { ClassOutbox, MediaRequest } from "../core/class-signaling";
import { mediaDefaults } from "../core/config";
import { ErrorCode } from "../core/errors";
import { MediaNode } from "./media-node";

const outbox: ClassOutbox = { toPeer: () => undefined, toClass: () => undefined, detach: () => undefined };
const bus = new MemoryEventBus();
let node: MediaNode;

beforeAll(async () => {
  node = await MediaNode.start({
    options: { ...mediaDefaults, enabled: true, workers: 1, workerBin: process.env.MEDIASOUP_WORKER_BIN || undefined },
    outbox,
    bus,
    lifecycle: async () => undefined,
  });
}, 30_000);
afterAll(async () => {
  await node.close();
  await bus.close();
});

const request = (op: MediaRequest["op"], payload: Record<string, unknown>, classId = randomUUID()): MediaRequest => ({
  op,
  tenant: "school-a",
  classId,
  caller: { user: "t1", staff: true, socketId: "s1" },
  klass: { teacher: "t1", startedAt: null, endedAt: null },
  payload: { classId, ...payload },
});
const codeOf = (req: MediaRequest): Promise<unknown> => node.handle(req).then(() => 0, (err: unknown) => (err as { code?: unknown }).code);

describe("MediaNode dispatch", () => {
  it("parses each payload with its operation's schema and answers through the operation's handler", async () => {
    const classId = randomUUID();
    const caps = (await node.handle(request("class:capabilities", {}, classId))) as { rtpCapabilities: { codecs?: unknown[] } };
    expect(caps.rtpCapabilities.codecs?.length).toBeGreaterThan(0);
    expect(await codeOf(request("transport:create", { direction: "sideways" }, classId))).toBe(ErrorCode.InvalidPayload);
    expect(await codeOf(request("hand:raise", { extra: 1 }, classId))).toBe(ErrorCode.InvalidPayload);
    const elsewhere = randomUUID();
    expect(await node.handle(request("peer:gone", {}, elsewhere))).toEqual({ classId: elsewhere });
    expect(await codeOf(request("hand:raise", {}))).toBe(ErrorCode.NotInClass);
  });

  it("answers an operation it does not know (a realtime node of a newer version) with 1002", async () => {
    const newer = { ...request("hand:raise", {}), op: "hand:wave" } as unknown as MediaRequest;
    expect(await codeOf(newer)).toBe(ErrorCode.UnknownEvent);
  });
});

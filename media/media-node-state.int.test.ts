import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import type { ClassOutbox, ClassPushes, MediaRequest } from "../core/class-signaling";
import { mediaDefaults } from "../core/config";
import { ErrorCode } from "../core/errors";
import { MediaNode } from "./media-node";
import { MemoryClassStateStore } from "./state/class-state-store-memory";

// Two media nodes (a real mediasoup worker each) sharing one class state store: the class moves from A
// to B with its state, and A, which still holds the class, is fenced off by B's claim.
const pushes: Array<{ to: string; event: string; payload: unknown }> = [];
const outbox: ClassOutbox = {
  toPeer: (to, event, payload) => void pushes.push({ to, event, payload }),
  toClass: (tenant, classId, event, payload) => void pushes.push({ to: `${tenant}/${classId}`, event, payload }),
  detach: () => undefined,
};
const bus = new MemoryEventBus();
const state = new MemoryClassStateStore();
let a: MediaNode;
let b: MediaNode;

beforeAll(async () => {
  const start = () =>
    MediaNode.start({
      options: { ...mediaDefaults, enabled: true, workers: 1, workerBin: process.env.MEDIASOUP_WORKER_BIN || undefined },
      outbox,
      bus,
      lifecycle: async () => undefined,
      state,
    });
  [a, b] = await Promise.all([start(), start()]);
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await bus.close();
});

const classId = randomUUID();
const request = (op: MediaRequest["op"], user: string, socketId: string, payload: Record<string, unknown> = {}): MediaRequest => ({
  op,
  tenant: "school-a",
  classId,
  caller: { user, staff: user === "t1", socketId, node: "rt-1" },
  klass: { teacher: "t1", startedAt: null, endedAt: null },
  payload: { classId, ...payload },
});
const join = async (node: MediaNode, user: string, socketId: string) => {
  const { rtpCapabilities } = (await node.handle(request("class:capabilities", user, socketId))) as { rtpCapabilities: { codecs?: unknown[] } };
  return (await node.handle(request("class:join", user, socketId, { rtpCapabilities: { codecs: rtpCapabilities.codecs } }))) as { role: string; hands: Array<{ user: string; acknowledged: boolean }>; started: boolean };
};
const codeOf = (node: MediaNode, req: MediaRequest): Promise<unknown> => node.handle(req).then(() => 0, (err: unknown) => (err as { code?: unknown }).code);

describe("MediaNode with a shared class state store", () => {
  it("reopens a class on another node with its state, and fences the node that had it", async () => {
    await join(a, "t1", "sock-t");
    await a.handle(request("class:start", "t1", "sock-t"));
    for (const [u, s] of [["s1", "sock-1"], ["s2", "sock-2"], ["s3", "sock-3"]] as const) await join(a, u, s);
    await a.handle(request("hand:raise", "s2", "sock-2"));
    await a.handle(request("hand:raise", "s1", "sock-1"));
    await a.handle(request("hand:acknowledge", "t1", "sock-t", { user: "s2" }));
    await a.handle(request("participant:promote", "t1", "sock-t", { user: "s3" }));
    await a.handle(request("participant:remove", "t1", "sock-t", { user: "s1" }));

    // the class is re-placed on B (A is thought dead): same sockets join again there
    const teacher = await join(b, "t1", "sock-t");
    expect(teacher).toMatchObject({ role: "host", started: true });
    expect(teacher.hands.map((h) => [h.user, h.acknowledged])).toEqual([["s2", true]]);
    expect((await join(b, "s3", "sock-3")).role).toBe("speaker");
    expect(await codeOf(b, request("class:join", "s1", "sock-1b", { rtpCapabilities: {} }))).toBe(ErrorCode.RemovedFromClass);

    // A still answers from memory, but its save is refused: it retires the class and tells its connections to rejoin
    const before = pushes.length;
    await a.handle(request("hand:lower", "s2", "sock-2"));
    const told = pushes.slice(before).filter((p) => p.event === "class:rejoin");
    expect(told.map((p) => p.to).sort()).toEqual(["sock-2", "sock-3", "sock-t"]);
    for (const p of told) expect(p.payload).toEqual({ classId, reason: "media-node-superseded" } satisfies ClassPushes["class:rejoin"]);
    expect(await codeOf(a, request("hand:raise", "s2", "sock-2"))).toBe(ErrorCode.NotInClass);
    // B's state is untouched by A's late change
    expect(((await b.handle(request("hand:raise", "s3", "sock-3"))) as { hands: Array<{ user: string }> }).hands.map((h) => h.user)).toEqual(["s2", "s3"]);
  });
});

import { describe, expect, it } from "vitest";
import type { BusRecord, EventBus, Subscription } from "../core/bus/event-bus";
import type { SocketFanout } from "../core/socket-fanout";
import { ErrorCode } from "../core/errors";
import { defaultLogger } from "../core/log";
import type { PresenceStore } from "./presence/presence-store";
import type { TenantQuotas } from "./quotas";
import { MessagePublisher } from "./room-messages";
import { MemorySequenceStore } from "./sequence/sequence-store-memory";
import type { SequenceStore } from "./sequence/sequence-store";
import { RealtimeServerMessaging } from "./server-messaging";
import { acceptOnce } from "./keyed-once";
import { MemoryHistoryStore } from "./state/history-store-memory";
import { MemoryKeyedState } from "./state/keyed-state-memory";

/**
 * A bus double that keeps what it is given, like Kafka, but can answer a write with a failure after
 * keeping it (the ack lost to a broker kill or a timeout): the case where a keyed resend must not be
 * numbered again. `stored` is what the worker would store: the first record of each id (it dedupes by id).
 */
class LossyAckBus implements EventBus {
  readonly written: Array<{ id: string; seq: number }> = [];
  failNextAfterWrite = 0;

  async publish(_topic: string, records: BusRecord[]): Promise<void> {
    for (const r of records) {
      const event = JSON.parse(r.value) as { id: string; data: { seq: number } };
      this.written.push({ id: event.id, seq: event.data.seq });
    }
    if (this.failNextAfterWrite > 0) {
      this.failNextAfterWrite--;
      throw new Error("Kafka did not acknowledge within 5000 ms");
    }
  }

  stored(): Map<string, number> {
    const rows = new Map<string, number>();
    for (const w of this.written) if (!rows.has(w.id)) rows.set(w.id, w.seq);
    return rows;
  }

  async prepare(): Promise<void> {}
  async subscribe(): Promise<Subscription> {
    return { close: async () => undefined };
  }
  async consumerLag(): Promise<number> {
    return 0;
  }
  async ping(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function messaging(bus: LossyAckBus, state: MemoryKeyedState, nodeId = "n1", sequences = new MemorySequenceStore()): RealtimeServerMessaging {
  const publisher = new MessagePublisher(bus, sequences, new MemoryHistoryStore(), undefined, defaultLogger());
  const quotas = { consumeMessage: async () => ({ quota: "messages", used: 0, limit: 1_000 }) } as unknown as TenantQuotas;
  const presence = { roomMemberCount: async () => 2 } as unknown as PresenceStore;
  const fanout: SocketFanout = { toUsers: () => undefined, toRoom: () => undefined, disconnectUser: () => undefined } as unknown as SocketFanout;
  return new RealtimeServerMessaging({ publisher, quotas, presence, fanout, state, conversations: { get: async () => undefined, getForMember: async () => undefined }, nodeId });
}

/** What two nodes share for `acceptOnce` (Redis: the keyed state, the sequences and the history) and the bus; ann sends. */
function twoNodeRig() {
  const bus = new LossyAckBus();
  const state = new MemoryKeyedState();
  const sequences = new MemorySequenceStore();
  const history = new MemoryHistoryStore();
  const publisher = new MessagePublisher(bus, sequences, history, undefined, defaultLogger());
  const ann = { tenant: "school", user: "ann", role: "student" as const, exp: 0 };
  const publish = async (event: Awaited<ReturnType<MessagePublisher["numberRoom"]>>) => {
    const e = await publisher.publishRoom(event);
    return { id: e.id, seq: e.data.seq };
  };
  return { bus, state, sequences, history, publisher, ann, publish };
}

/** n1's view of the shared state, cut off from it for `method`: its calls wait until `reconnected()` (queued by the Redis client). */
function cutOff(state: MemoryKeyedState, method: "stage" | "complete"): { n1State: MemoryKeyedState; reconnected: () => void } {
  let reconnected: () => void = () => undefined;
  const healed = new Promise<void>((r) => (reconnected = r));
  const n1State = Object.create(state) as MemoryKeyedState;
  if (method === "stage") {
    const stageOf = state.stage.bind(state);
    n1State.stage = async (...args) => (await healed, stageOf(...args));
  } else {
    const completeOf = state.complete.bind(state);
    n1State.complete = async (...args) => (await healed, completeOf(...args));
  }
  return { n1State, reconnected: () => reconnected() };
}

describe("a keyed resend answers the seq of the first acceptance", () => {
  it("after a publish that reached the bus but failed, the resend's ack names the stored seq", async () => {
    const bus = new LossyAckBus();
    const api = messaging(bus, new MemoryKeyedState());
    const input = { room: "r", user: "ann", text: "hello", key: "k-1" };
    bus.failNextAfterWrite = 1;
    await expect(api.publishRoom("school", input)).rejects.toThrow();
    // another message is numbered in between (another sender)
    const other = await api.publishRoom("school", { room: "r", user: "bob", text: "in between" });
    const ack = await api.publishRoom("school", input);
    const stored = bus.stored();
    expect(stored.get(ack.id)).toBe(ack.seq);
    expect(other.seq).not.toBe(ack.seq);
    // a later resend answers the same
    expect(await api.publishRoom("school", input)).toEqual(ack);
  });

  it("a resend handled by another node publishes the staged event, not a new seq", async () => {
    const bus = new LossyAckBus();
    const state = new MemoryKeyedState();
    const sequences = new MemorySequenceStore(); // shared, as Redis is between nodes
    const first = messaging(bus, state, "n1", sequences);
    const second = messaging(bus, state, "n2", sequences);
    bus.failNextAfterWrite = 1;
    await expect(first.publishRoom("school", { room: "r", user: "ann", text: "x", key: "k-2" })).rejects.toThrow();
    await second.publishRoom("school", { room: "r", user: "bob", text: "in between" });
    const ack = await second.publishRoom("school", { room: "r", user: "ann", text: "x", key: "k-2" });
    expect(bus.stored().get(ack.id)).toBe(ack.seq);
    expect(ack.seq).toBe(1);
    expect(bus.stored().size).toBe(2);
  });

  it("keyed sends with distinct keys are numbered in order, without holes", async () => {
    const bus = new LossyAckBus();
    const state = new MemoryKeyedState();
    const api = messaging(bus, state);
    const a = await api.publishRoom("school", { room: "r", user: "ann", text: "1", key: "a" });
    const b = await api.publishRoom("school", { room: "r", user: "ann", text: "2", key: "b" });
    expect([a.seq, b.seq]).toEqual([1, 2]);
  });

  it("a resend taking over from a node that died after numbering, before staging, publishes under the seq it reserved", async () => {
    const { bus, state, publisher, ann, publish } = twoNodeRig();
    const key = "idem:school:ann:k-3";
    // n1 numbers the message, then dies before it stages it (its number step never returns)
    void acceptOnce({ state, nodeId: "n1" }, key, { number: async (id) => (await publisher.numberRoom(ann, "r", "x", id), new Promise<never>(() => undefined)), publish }, "k-3");
    await new Promise((r) => setImmediate(r));
    const other = await publisher.room({ ...ann, user: "bob" }, "r", "in between");
    // the resend reaches n2, which finds n1 dead and takes the claim over
    const ack = await acceptOnce({ state, nodeId: "n2", isNodeAlive: async () => false }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-3");
    expect(other.data.seq).toBe(2);
    expect(ack.seq).toBe(1); // n1's seq, not a new one: no hole at 1
    expect([...bus.stored().values()].sort()).toEqual([1, 2]);
  });

  it("a resend taking over from a node that died as the store took its number (before its reservation left) publishes under that number", async () => {
    const { bus, state, sequences, history, publisher, ann, publish } = twoNodeRig();
    const key = "idem:school:ann:k-6";
    // n1 asks for a number; the store takes it, and n1 dies before the reply reaches it: no reservation, no stage
    const diesAtTheReply: SequenceStore = {
      current: (k) => sequences.current(k),
      next: (k, _numbered, id) => sequences.next(k, undefined, id).then(() => new Promise<never>(() => undefined)),
    };
    const n1Publisher = new MessagePublisher(bus, diesAtTheReply, history);
    void acceptOnce({ state, nodeId: "n1" }, key, { number: (id) => n1Publisher.numberRoom(ann, "r", "x", id), publish }, "k-6");
    await new Promise((r) => setImmediate(r));
    // the resend reaches n2, which finds n1 dead and takes the claim over
    const ack = await acceptOnce({ state, nodeId: "n2", isNodeAlive: async () => false }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-6");
    expect(ack.seq).toBe(1); // before: 2, and seq 1 a hole no message fills
    expect([...bus.stored().values()]).toEqual([1]);
  });

  it("a resend coming after the first attempt's claim lapsed publishes under the number that attempt took", async () => {
    const { bus, sequences, history, publisher, ann, publish } = twoNodeRig();
    const key = "idem:school:ann:k-7";
    // n1 numbers and stages the message, then dies; nothing takes the claim over before it lapses (PENDING_TTL)
    const n1Publisher = new MessagePublisher(bus, sequences, history);
    void acceptOnce({ state: new MemoryKeyedState(), nodeId: "n1" }, key, { number: (id) => n1Publisher.numberRoom(ann, "r", "x", id), publish: () => new Promise<never>(() => undefined) }, "k-7");
    await new Promise((r) => setImmediate(r));
    await publisher.room({ ...ann, user: "bob" }, "r", "in between");
    // the client's resend, after the lapse: a fresh claim on n2 (a keyed state that never saw the first one)
    const ack = await acceptOnce({ state: new MemoryKeyedState(), nodeId: "n2" }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-7");
    expect(ack.seq).toBe(1); // before: 3, and seq 1 a hole no message fills
    expect([...bus.stored().values()].sort()).toEqual([1, 2]);
  });

  it("a node whose claim was taken over while it was cut off does not publish what it numbered: the stored seq is the ack's", async () => {
    const { bus, state, publisher, ann, publish } = twoNodeRig();
    const key = "idem:school:ann:k-4";
    // n1 numbers the message, then is cut off from Redis: its stage waits (queued by the Redis client) …
    const { n1State, reconnected } = cutOff(state, "stage");
    const first = acceptOnce({ state: n1State, nodeId: "n1" }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-4");
    await new Promise((r) => setImmediate(r));
    // … the client's resend reaches n2, which finds n1 dead and takes the claim over
    const ack = await acceptOnce({ state, nodeId: "n2", isNodeAlive: async () => false }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-4");
    // the cut heals: n1's queued stage reaches the store
    reconnected();
    await expect(first).rejects.toMatchObject({ code: ErrorCode.InProgress });
    const stored = bus.stored();
    expect(stored.get(ack.id)).toBe(ack.seq); // before: n1 published its own seq too, and the first one written was kept
    expect(stored.size).toBe(1);
    expect(await state.claim(key, 60, "n3")).toEqual({ state: "done", result: JSON.stringify(ack) });
  });

  it("a node that completes while another decides to take its claim over keeps its result: the resend answers it", async () => {
    const { bus, state, publisher, ann, publish } = twoNodeRig();
    const key = "idem:school:ann:k-5";
    // n1 stages and publishes the message, then is cut off from Redis: its history write and complete wait
    const { n1State, reconnected } = cutOff(state, "complete");
    const first = acceptOnce({ state: n1State, nodeId: "n1" }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-5");
    while (bus.written.length === 0) await new Promise((r) => setImmediate(r));
    // the resend reaches n2, which reads n1's open claim and finds n1 dead; the cut heals while it asks,
    // and n1's queued complete lands before n2's take-over
    const isNodeAlive = async () => (reconnected(), await first, false);
    const ack = await acceptOnce({ state, nodeId: "n2", isNodeAlive }, key, { number: (id) => publisher.numberRoom(ann, "r", "x", id), publish }, "k-5");
    const stored = bus.stored();
    expect(stored.get(ack.id)).toBe(ack.seq); // before: the take-over replaced n1's result and numbered the message again
    expect(ack).toEqual(await first);
    expect(bus.written).toHaveLength(1);
  });
});

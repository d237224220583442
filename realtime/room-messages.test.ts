import { describe, expect, it } from "vitest";
import type { EventBus } from "../core/bus/event-bus";
import { MessagePublisher } from "./room-messages";
import { MemorySequenceStore } from "./sequence/sequence-store-memory";
import type { SequenceStore } from "./sequence/sequence-store";
import type { HistoryStore } from "./state/history-store";

const principal = { tenant: "t1", user: "u1", role: "student" as const, exp: 0 };

/** A bus that holds each publish until `release()` (what "durable" waits for). */
function heldBus(log: string[]) {
  let release: () => void = () => undefined;
  const bus = {
    publish: () => (log.push("bus sent"), new Promise<void>((r) => (release = () => (log.push("bus durable"), r())))),
  } as unknown as EventBus;
  return { bus, release: () => release() };
}

/** A history whose writes are recorded when sent and finish on `finish()`. */
function heldHistory(log: string[]) {
  let finish: () => void = () => undefined;
  const history: HistoryStore = {
    append: () => (log.push("history sent"), new Promise<void>((r) => (finish = () => (log.push("history stored"), r())))),
    reserve: async (_stream, seq) => void log.push(`reserved seq ${seq}`),
    since: async () => [],
  };
  return { history, finish: () => finish() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("MessagePublisher: what the broadcast waits for", () => {
  it("delivers once the bus holds the message and its history write is sent, and acks only after that write", async () => {
    const log: string[] = [];
    const { bus, release } = heldBus(log);
    const { history, finish } = heldHistory(log);
    const publisher = new MessagePublisher(bus, new MemorySequenceStore(), history);
    let acked = false;
    const done = publisher.room(principal, "r", "hi", undefined, (d) => log.push(`delivered seq ${d.seq}`)).then(() => (acked = true));
    await tick();
    expect(log).toEqual(["reserved seq 1", "bus sent"]); // reserved once numbered; nothing delivered before the bus holds it durably
    release();
    await tick();
    expect(log).toEqual(["reserved seq 1", "bus sent", "bus durable", "history sent", "delivered seq 1"]);
    expect(acked).toBe(false); // the ack still waits for the history write
    finish();
    await done;
    expect(acked).toBe(true);
  });

  it("delivers nothing when the bus refuses the message", async () => {
    const log: string[] = [];
    const bus = { publish: () => Promise.reject(new Error("refused")) } as unknown as EventBus;
    const { history } = heldHistory(log);
    const publisher = new MessagePublisher(bus, new MemorySequenceStore(), history);
    await expect(publisher.chat(principal, "7c9e6679-7425-40de-944b-e07fc1f90ae7", "hi", undefined, () => log.push("delivered"))).rejects.toThrow("refused");
    expect(log).toEqual(["reserved seq 1"]); // the reservation stays: a keyed resend may still publish seq 1
  });

  it("reserves a seq as soon as the store has taken it, not once the store confirms it (a replica's WAIT)", async () => {
    const log: string[] = [];
    const { bus } = heldBus(log);
    const { history } = heldHistory(log);
    let confirm: () => void = () => undefined;
    const sequences: SequenceStore = {
      current: async () => 0,
      next: (_key, numbered) => {
        log.push("numbered seq 1");
        numbered?.(1);
        return new Promise((r) => (confirm = () => (log.push("confirmed seq 1"), r(1))));
      },
    };
    const publisher = new MessagePublisher(bus, sequences, history);
    void publisher.room(principal, "r", "hi");
    await tick();
    expect(log).toEqual(["numbered seq 1", "reserved seq 1"]); // other nodes read the counter at 1 already: a recovery now must see 1 on its way
    confirm();
    await tick();
    expect(log).toEqual(["numbered seq 1", "reserved seq 1", "confirmed seq 1", "bus sent"]);
  });
});

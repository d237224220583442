import { describe, expect, it } from "vitest";
import { createMetrics } from "../core/metrics/registry";
import { IN_FLIGHT_MS, recover } from "./recovery";
import { MemorySequenceStore } from "./sequence/sequence-store-memory";
import { MemoryHistoryStore } from "./state/history-store-memory";

const msg = (seq: number) => ({ seq, text: `m${seq}` });

/** A stream whose seqs 1–4 were handed out: 1, 2 and 4 published (in the history), 3 reserved at `reservedAt`. */
async function streamWithOneOnItsWay(reservedAt: number) {
  const sequences = new MemorySequenceStore();
  const history = new MemoryHistoryStore();
  for (let i = 0; i < 4; i++) await sequences.next("s");
  for (const seq of [1, 2, 4]) await history.append("s", seq, JSON.stringify(msg(seq)));
  await history.reserve("s", 3, reservedAt);
  const databaseReads: number[] = [];
  const fromDatabase = async (after: number) => (databaseReads.push(after), [] as Array<{ seq: number; text: string }>);
  return { deps: { sequences, history, metrics: createMetrics("n1") }, fromDatabase, databaseReads };
}

describe("recover (realtime/recovery.ts): a seq handed out but not yet published", () => {
  it("is on its way: recovered, named in `pending`, and not looked for in the database", async () => {
    const now = 1_000_000;
    const { deps, fromDatabase, databaseReads } = await streamWithOneOnItsWay(now - 2_000);
    const r = await recover(deps, "room", "s", 1, fromDatabase, () => now);
    expect(r).toEqual({ recovered: true, messages: [msg(2), msg(4)], pending: [3], seq: 4 });
    expect(databaseReads).toEqual([]);
  });

  it("reserved longer ago than IN_FLIGHT_MS is a hole: the database is read, and without it not recovered", async () => {
    const now = 1_000_000;
    const { deps, fromDatabase, databaseReads } = await streamWithOneOnItsWay(now - IN_FLIGHT_MS - 1);
    const r = await recover(deps, "room", "s", 1, fromDatabase, () => now);
    expect(r).toEqual({ recovered: false, messages: [msg(2), msg(4)], pending: [], seq: 4 }); // `seq`: what the answer speaks for
    expect(databaseReads).toEqual([1]);
  });
});

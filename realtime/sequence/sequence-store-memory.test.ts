import { afterEach, describe, expect, it, vi } from "vitest";
import { NUMBERED_ID_TTL_SECONDS } from "./sequence-store";
import { MemorySequenceStore } from "./sequence-store-memory";

describe("MemorySequenceStore: numbers taken for message ids", () => {
  afterEach(() => vi.useRealTimers());

  it("forgets a message id's number after NUMBERED_ID_TTL_SECONDS, and drops expired records as it takes new ones", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = new MemorySequenceStore();
    expect(await store.next("r", undefined, "m1")).toBe(1);
    vi.setSystemTime(Date.now() + NUMBERED_ID_TTL_SECONDS * 1_000 - 1);
    expect(await store.next("r", undefined, "m1")).toBe(1);
    vi.setSystemTime(Date.now() + 2);
    expect(await store.next("r", undefined, "m2")).toBe(2);
    expect((store as unknown as { numberedIds: Map<string, unknown> }).numberedIds.size).toBe(1); // m1's dropped
    expect(await store.next("r", undefined, "m1")).toBe(3); // forgotten: numbered anew
  });
});

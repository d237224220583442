import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomMessageCreated } from "../core/contracts/events";
import type { RoomMessageStore } from "./room-message-store";

export function message(tenant: string, room: string, seq: number, text = `m${seq}`): RoomMessageCreated {
  return {
    v: 1,
    type: "room.message.created",
    id: randomUUID(),
    tenant,
    at: new Date(1_700_000_000_000 + seq).toISOString(),
    data: { room, seq, user: "u1", text },
  };
}

/** The RoomMessageStore contract; each database's test file runs it. */
export function runRoomMessageStoreContract(name: string, open: () => Promise<{ store: RoomMessageStore; close(): Promise<void> }>): void {
  describe(`RoomMessageStore contract: ${name}`, () => {
    let store: RoomMessageStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => close());

    it("stores each message once however often it is inserted", async () => {
      const batch = [message("sch-a", "r1", 1), message("sch-a", "r1", 2)];
      expect(await store.insert(batch)).toBe(2);
      expect(await store.insert(batch)).toBe(0);
      expect(await store.insert([batch[1] as RoomMessageCreated, message("sch-a", "r1", 3)])).toBe(1);
      const rows = await store.list("sch-a", "r1", { afterSeq: 0, limit: 10 });
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
      const first = batch[0] as RoomMessageCreated;
      expect(rows[0]).toEqual({ id: first.id, room: "r1", seq: 1, user: "u1", text: "m1", sentAt: first.at, editedAt: null, deleted: false });
    });

    it("pages by sequence and reports the highest seq", async () => {
      await store.insert([4, 5, 6].map((s) => message("sch-a", "r2", s)));
      expect((await store.list("sch-a", "r2", { afterSeq: 4, limit: 1 })).map((r) => r.seq)).toEqual([5]);
      expect((await store.list("sch-a", "r2", { afterSeq: 0, beforeSeq: 6, limit: 10 })).map((r) => r.seq)).toEqual([4, 5]);
      expect(await store.maxSeq("sch-a", "r2")).toBe(6);
      expect(await store.maxSeq("sch-a", "empty")).toBe(0);
    });

    it("reports the highest seq of several rooms in one read, 0 for an empty room, never another tenant's", async () => {
      await store.insert([1, 2, 3].map((s) => message("sch-m", "m1", s)));
      await store.insert([message("sch-m", "m2", 7), message("sch-n", "m3", 9)]);
      expect(await store.maxSeqs("sch-m", ["m1", "m2", "m3", "none"])).toEqual(new Map([["m1", 3], ["m2", 7], ["m3", 0], ["none", 0]]));
      expect(await store.maxSeqs("sch-m", [])).toEqual(new Map());
    });

    it("never returns another tenant's messages for the same room name", async () => {
      await store.insert([message("sch-b", "shared", 1, "secret of b")]);
      await store.insert([message("sch-c", "shared", 1, "secret of c")]);
      const rows = await store.list("sch-b", "shared", { afterSeq: 0, limit: 10 });
      expect(rows.map((r) => r.text)).toEqual(["secret of b"]);
    });

    it("refuses a different message that claims a taken seq", async () => {
      await store.insert([message("sch-a", "r3", 1)]);
      await expect(store.insert([message("sch-a", "r3", 1)])).rejects.toThrow();
    });
  });
}

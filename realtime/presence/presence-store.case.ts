import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { PresenceStore, SessionRef } from "./presence-store";

/** The PresenceStore contract; `open(nodeTtlMs)` returns two handles on one shared store (two nodes). */
export function runPresenceStoreContract(name: string, open: (nodeTtlMs: number) => Promise<[PresenceStore, PresenceStore]>): void {
  describe(`PresenceStore contract: ${name}`, () => {
    const session = (tenant: string, user: string): SessionRef => ({ tenant, user, sessionId: randomUUID() });

    it("keeps a user online until the last session closes, and reports each transition once", async () => {
      const [a, b] = await open(10_000);
      const t = `t-${randomUUID()}`;
      const s1 = session(t, "ann");
      const s2 = session(t, "ann");
      expect(await a.connect(s1, "n1")).toEqual({ cameOnline: true });
      expect(await b.connect(s2, "n2")).toEqual({ cameOnline: false });
      expect(await a.statuses(t, ["ann", "bob"])).toEqual({ ann: "online", bob: "offline" });
      expect((await a.disconnect(s1)).wentOffline).toBe(false);
      expect(await b.statuses(t, ["ann"])).toEqual({ ann: "online" });
      expect((await b.disconnect(s2)).wentOffline).toBe(true);
      expect((await b.disconnect(s2)).wentOffline).toBe(false);
      expect(await a.statuses(t, ["ann"])).toEqual({ ann: "offline" });
    });

    it("a class leaving at once: concurrent disconnects each report their own transition, as one by one", async () => {
      const [a, b] = await open(10_000);
      const t = `t-${randomUUID()}`;
      const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
      const sessions = users.flatMap((u) => [session(t, u), session(t, u)]);
      for (const s of sessions) {
        await a.connect(s, "n1");
        await a.joinRoom(s, "class");
      }
      const ends = await Promise.all(sessions.map((s, i) => (i % 2 ? a : b).disconnect(s)));
      // each user's second session to end is the one that takes it offline and out of the room
      expect(ends.filter((e) => e.wentOffline)).toHaveLength(users.length);
      expect(ends.filter((e) => e.leftRooms.includes("class"))).toHaveLength(users.length);
      expect(ends.every((e) => e.wentOffline === e.leftRooms.includes("class"))).toBe(true);
      expect(Object.values(await b.statuses(t, users)).every((st) => st === "offline")).toBe(true);
      expect(await a.roomMembers(t, "class")).toEqual([]);
      expect(await Promise.all(sessions.slice(0, 4).map((s) => a.disconnect(s)))).toEqual(sessions.slice(0, 4).map(() => ({ wentOffline: false, leftRooms: [] })));
    });

    it("removes the sessions a previous process of the same node id left, keeping the live ones", async () => {
      const [a, b] = await open(10_000);
      const t = `t-${randomUUID()}`;
      const node = `n-${randomUUID()}`;
      const [stale, live, elsewhere] = [session(t, "gil"), session(t, "hal"), session(t, "ivy")];
      await a.connect(stale, node); // the killed process's session, never reaped (the node came back in time)
      await a.joinRoom(stale, "r");
      await b.connect(live, node); // the restarted process's own socket
      await b.connect(elsewhere, `n-${randomUUID()}`);
      const gone = await b.reapStaleSessions(node, (id) => id === live.sessionId);
      expect(gone).toEqual([{ tenant: t, user: "gil", wentOffline: true, leftRooms: ["r"] }]);
      expect(await a.statuses(t, ["gil", "hal", "ivy"])).toEqual({ gil: "offline", hal: "online", ivy: "online" });
      expect(await a.roomMembers(t, "r")).toEqual([]);
      expect(await b.reapStaleSessions(node, (id) => id === live.sessionId)).toEqual([]);
    });

    it("is away only when every session is away", async () => {
      const [a] = await open(10_000);
      const t = `t-${randomUUID()}`;
      const [s1, s2] = [session(t, "cy"), session(t, "cy")];
      await a.connect(s1, "n1");
      await a.connect(s2, "n1");
      expect(await a.setStatus(s1, "away")).toEqual({ before: "online", after: "online" });
      expect(await a.setStatus(s2, "away")).toEqual({ before: "online", after: "away" });
      expect(await a.setStatus(s1, "online")).toEqual({ before: "away", after: "online" });
    });

    it("lists room members across nodes and reports first-in and last-out once per user", async () => {
      const [a, b] = await open(10_000);
      const t = `t-${randomUUID()}`;
      const [s1, s2, s3] = [session(t, "ann"), session(t, "ann"), session(t, "bob")];
      await a.connect(s1, "n1");
      await b.connect(s2, "n2");
      await b.connect(s3, "n2");
      expect(await a.joinRoom(s1, "math")).toEqual({ firstInRoom: true });
      expect(await b.joinRoom(s2, "math")).toEqual({ firstInRoom: false });
      expect(await b.joinRoom(s2, "math")).toEqual({ firstInRoom: false });
      expect(await b.joinRoom(s3, "math")).toEqual({ firstInRoom: true });
      expect(await a.roomMembers(t, "math")).toEqual(["ann", "bob"]);
      expect(await b.roomMemberCount(t, "math")).toBe(2);
      expect(await a.leaveRoom(s1, "math")).toEqual({ lastInRoom: false });
      expect(await b.disconnect(s2)).toEqual({ wentOffline: false, leftRooms: ["math"] });
      expect(await a.roomMembers(t, "math")).toEqual(["bob"]);
      expect(await a.roomMembers(`other-${t}`, "math")).toEqual([]);
    });

    it("reaps the sessions of a node that stopped heartbeating, once", async () => {
      const [a, b] = await open(200);
      const t = `t-${randomUUID()}`;
      const dead = `dead-${randomUUID()}`;
      const alive = `alive-${randomUUID()}`;
      expect(await a.heartbeat(dead)).toEqual({ wasMissing: true, reaping: false });
      await b.heartbeat(alive);
      const [s1, s2] = [session(t, "dan"), session(t, "eve")];
      await a.connect(s1, dead);
      await a.joinRoom(s1, "r");
      await b.connect(s2, alive);
      await new Promise((r) => setTimeout(r, 300));
      await b.heartbeat(alive);
      const [ra, rb] = await Promise.all([a.reapDeadNodes(), b.reapDeadNodes()]);
      const reaped = [...ra, ...rb].filter((x) => x.tenant === t);
      expect(reaped).toEqual([{ tenant: t, user: "dan", wentOffline: true, leftRooms: ["r"] }]);
      expect(await b.statuses(t, ["dan", "eve"])).toEqual({ dan: "offline", eve: "online" });
      expect([await a.isNodeAlive(dead), await a.isNodeAlive(alive)]).toEqual([false, true]);
      expect(await a.heartbeat(dead)).toEqual({ wasMissing: true, reaping: false });
    });

    /** A node with `n` sessions (users u0…), one each, whose beat is then past the TTL (200 ms). */
    const lateNode = async (a: PresenceStore, t: string, n: number) => {
      const node = `late-${randomUUID()}`;
      const users = Array.from({ length: n }, (_, i) => `u${i}`);
      const sessions = users.map((u) => session(t, u));
      await a.heartbeat(node);
      await Promise.all(sessions.map((s) => a.connect(s, node)));
      await new Promise((r) => setTimeout(r, 300));
      return { node, users, sessions };
    };
    /** Registers the sessions on the node, each joining room "class" (as a node registers its sockets). */
    const registerInClass = (a: PresenceStore, sessions: SessionRef[], node: string) =>
      Promise.all(
        sessions.map(async (s) => {
          await a.connect(s, node);
          await a.joinRoom(s, "class");
        }),
      );
    /**
     * Sessions of a reaped node in the tests that act while its reap runs: more than one batch of the Redis store's reap
     * (REAP_AT_ONCE, 5,000), so that the reap is still running when the test acts (with one batch it can end first).
     */
    const MORE_THAN_A_REAP_BATCH = 6_000;
    /** Resolves once the reap has begun: some of the users read offline. */
    const reapBegun = async (a: PresenceStore, t: string, users: string[]) => {
      while (Object.values(await a.statuses(t, users)).every((st) => st === "online")) await new Promise((r) => setImmediate(r));
    };

    it("a node reaped though alive is told so by its beats until the reap ends; its fresh connects meanwhile stay, with their index", async () => {
      const [a, b] = await open(200);
      const t = `t-${randomUUID()}`;
      const { node, users, sessions } = await lateNode(a, t, MORE_THAN_A_REAP_BATCH);
      const reaping = b.reapDeadNodes();
      await reapBegun(a, t, users);
      expect(await a.heartbeat(node)).toEqual({ wasMissing: true, reaping: true });
      // new sockets on the node while the reap runs (new session ids, other users)
      const fresh = Array.from({ length: 500 }, (_, i) => session(t, `v${i}`));
      await registerInClass(a, fresh, node);
      await reaping;
      expect(await a.heartbeat(node)).toEqual({ wasMissing: false, reaping: false });
      // now the node registers its reaped sessions again
      await registerInClass(a, sessions, node);
      const everyone = [...users, ...fresh.map((s) => s.user)];
      expect(Object.entries(await a.statuses(t, everyone)).filter(([, st]) => st !== "online")).toEqual([]);
      expect(await a.roomMemberCount(t, "class")).toBe(everyone.length);
      // the index kept them all: when the node does die, they are all reaped
      await new Promise((r) => setTimeout(r, 300));
      expect((await b.reapDeadNodes()).filter((x) => x.tenant === t && x.wentOffline)).toHaveLength(everyone.length);
      expect(Object.values(await a.statuses(t, everyone)).every((st) => st === "offline")).toBe(true);
      expect(await a.roomMemberCount(t, "class")).toBe(0);
    });

    it("a reap spares the sessions its node registers again while the reap runs (a node that did not wait)", async () => {
      const [a, b] = await open(200);
      const t = `t-${randomUUID()}`;
      const { node, users, sessions } = await lateNode(a, t, MORE_THAN_A_REAP_BATCH);
      const reaping = b.reapDeadNodes();
      await reapBegun(a, t, users);
      await a.heartbeat(node);
      // last first, so that most come before the reap reaches them
      await registerInClass(a, [...sessions].reverse(), node);
      await reaping;
      expect(Object.entries(await a.statuses(t, users)).filter(([, st]) => st !== "online")).toEqual([]);
      expect(await a.roomMemberCount(t, "class")).toBe(users.length);
    });

    it("never reaps the calling node itself, even past its TTL (another node still does)", async () => {
      const [a, b] = await open(200);
      const t = `t-${randomUUID()}`;
      const slow = `slow-${randomUUID()}`;
      await a.heartbeat(slow);
      await a.connect(session(t, "fay"), slow);
      await new Promise((r) => setTimeout(r, 300));
      expect((await a.reapDeadNodes(slow)).filter((x) => x.tenant === t)).toEqual([]);
      expect(await a.statuses(t, ["fay"])).toEqual({ fay: "online" });
      expect(await a.heartbeat(slow)).toEqual({ wasMissing: false, reaping: false });
      await new Promise((r) => setTimeout(r, 300));
      expect((await b.reapDeadNodes()).filter((x) => x.tenant === t)).toEqual([{ tenant: t, user: "fay", wentOffline: true, leftRooms: [] }]);
    });
  });
}

import type { types } from "mediasoup";
import { describe, expect, it } from "vitest";
import type { Caller, ClassOutbox } from "../core/class-signaling";
import { ErrorCode } from "../core/errors";
import type { ClassMedia } from "./class-media";
import { ClassSession, type ClassSessionDeps } from "./class-session";
import { MemoryClassStateStore } from "./state/class-state-store-memory";
import { emptySnapshot, restoreSnapshot, type ClassSnapshot } from "./state/class-snapshot";

// The session's own bookkeeping (roles, hands, removals, attendance, saves) without media: these tests use
// a stand-in for ClassMedia that only tracks peers; media itself is covered by tests/live-class*.int.test.ts.
interface MediaStandIn {
  media: ClassMedia;
  closed(): boolean;
}

function mediaStandIn(): MediaStandIn {
  const peers = new Set<string>();
  let closed = false;
  const stand = {
    addPeer: (peer: string) => void peers.add(peer),
    removePeer: (peer: string) => void peers.delete(peer),
    producerList: (): types.Producer[] => [],
    close: () => void (closed = true),
  };
  return { media: stand as unknown as ClassMedia, closed: () => closed };
}

const caps = {} as types.RtpCapabilities;
const outbox: ClassOutbox = { toPeer: () => undefined, toClass: () => undefined, detach: () => undefined };

interface Harness {
  session: ClassSession;
  attendance: Array<[string, "joined" | "left"]>;
  superseded: number;
  media: MediaStandIn;
}

/** A session of class c1 (teacher t) on a node that claimed it from `store`, as MediaNode opens one. */
async function open(store: MemoryClassStateStore, extra: Partial<ClassSessionDeps> = {}): Promise<Harness> {
  const claim = await store.claim("school", "c1");
  const media = mediaStandIn();
  const h: Harness = { attendance: [], superseded: 0, media, session: undefined as unknown as ClassSession };
  h.session = new ClassSession(
    "school",
    "c1",
    "t",
    null,
    media.media,
    {
      outbox,
      attendance: async (user, kind) => void h.attendance.push([user, kind]),
      lifecycle: async () => undefined,
      saveState: (snap) => store.save("school", "c1", claim.epoch, snap),
      onSuperseded: () => void h.superseded++,
      dropState: () => store.drop("school", "c1"),
      ...extra,
    },
    claim.snapshot,
  );
  return h;
}

const who = (user: string, socketId: string, staff = false): Caller => ({ user, staff, socketId, node: "rt-1" });
const t = who("t", "sock-t", true);
const [s1, s2, s3] = [who("s1", "sock-1"), who("s2", "sock-2"), who("s3", "sock-3")];

describe("ClassSession state that survives its media node", () => {
  it("saves every change; a session opened from the stored state has the roles, hand queue, removals and start", async () => {
    const store = new MemoryClassStateStore();
    const { session } = await open(store);
    for (const c of [t, s1, s2, s3]) await session.join(c, caps);
    await session.start(t);
    await session.raiseHand(s2);
    await session.raiseHand(s1);
    await session.acknowledgeHand(t, "s2");
    await session.promote(t, "s1"); // a promotion takes the hand down
    await session.remove(t, "s3");
    const expected = session.snapshot();
    expect(expected.hands.map((h) => h.user)).toEqual(["s2"]);

    const moved = await open(store);
    expect(moved.session.snapshot()).toEqual(expected);
    const back = await moved.session.join(s1, caps);
    expect(back.role).toBe("speaker");
    expect(back.started).toBe(true);
    expect(back.hands).toEqual(expected.hands);
    await expect(moved.session.join(who("s3", "sock-3b"), caps)).rejects.toMatchObject({ code: ErrorCode.RemovedFromClass });
    expect((await moved.session.join(t, caps)).role).toBe("host");
  });

  it("keeps attendance across the move: the same socket joining again is not a new join; one that never comes back leaves once", async () => {
    const store = new MemoryClassStateStore();
    const first = await open(store);
    for (const c of [t, s1, s2]) await first.session.join(c, caps);
    expect(first.attendance).toEqual([
      ["t", "joined"],
      ["s1", "joined"],
      ["s2", "joined"],
    ]);

    const moved = await open(store);
    await moved.session.join(t, caps);
    await moved.session.join(s1, caps);
    await moved.session.join(who("s2", "sock-2-new"), caps); // s2 reconnected: a new socket is a new join
    expect(moved.attendance).toEqual([["s2", "joined"]]);
    expect(await moved.session.releaseCarried()).toBe(1); // sock-2 never came back
    expect(moved.attendance).toEqual([
      ["s2", "joined"],
      ["s2", "left"],
    ]);
    expect(await moved.session.releaseCarried()).toBe(0);
    expect(Object.keys(moved.session.snapshot().participants.s2?.peers ?? {})).toEqual(["sock-2-new"]);
  });

  it("is fenced: once another node claimed the class, a save is refused and the session retires without writing", async () => {
    const store = new MemoryClassStateStore();
    const old = await open(store);
    await old.session.join(t, caps);
    await old.session.join(s1, caps);
    const taken = await open(store);
    await taken.session.join(t, caps);
    await taken.session.raiseHand(t);

    await old.session.raiseHand(s1); // answered from memory; its save is refused
    expect(old.superseded).toBe(1);
    expect(old.session.isRetired).toBe(true);
    expect(old.media.closed()).toBe(true);
    await old.session.lowerHand(s1).catch(() => undefined);
    expect(old.superseded).toBe(1);
    expect((await store.claim("school", "c1")).snapshot?.hands.map((h) => h.user)).toEqual(["t"]);
  });

  it("forgets the state when the class ends", async () => {
    const store = new MemoryClassStateStore();
    const { session } = await open(store);
    await session.join(t, caps);
    await session.start(t);
    await session.end(t);
    expect((await store.claim("school", "c1")).snapshot).toBeNull();
  });

  it("writes changes made during a save together in the next one, and answers each request after its save", async () => {
    const store = new MemoryClassStateStore();
    const saved: ClassSnapshot[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const claim = await store.claim("school", "c1");
    const { session } = await open(store, {
      saveState: async (snap) => {
        await gate;
        saved.push(snap);
        return store.save("school", "c1", claim.epoch + 1, snap);
      },
    });
    const joins = [t, s1, s2].map((c) => session.join(c, caps));
    let answered = false;
    void Promise.all(joins).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    release();
    await Promise.all(joins);
    expect(saved.length).toBeLessThanOrEqual(2);
    expect(Object.keys(saved.at(-1)!.participants).sort()).toEqual(["s1", "s2", "t"]);
  });
});

describe("class snapshots", () => {
  it("read an older snapshot's missing fields as empty and drop unknown ones", () => {
    const older = { v: 1, participants: { t: { role: "host", peers: {} } }, hands: [] } as unknown as Partial<ClassSnapshot>;
    expect(restoreSnapshot(older)).toEqual({ ...emptySnapshot(), participants: { t: { role: "host", peers: {} } } });
    const newer = { ...emptySnapshot(), waiting: ["x"] } as Partial<ClassSnapshot>;
    expect(restoreSnapshot(newer)).toEqual(emptySnapshot());
  });
});

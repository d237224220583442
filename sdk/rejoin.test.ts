import { describe, expect, it } from "vitest";
import type { AckOf, RoomMessageDelivery } from "../core/events";
import { ErrorCode } from "./src/codes";
import { InterlinkedError, fromErrorBody } from "./src/errors";
import { Outbox } from "./src/outbox";
import type { Payloads } from "./src/protocol";
import { Rejoiner, type RecoveryInfo, type RejoinDeps } from "./src/rejoin";
import { MAX_SKIPPED, SeqStream } from "./src/sequence";
import { systemClock } from "./src/token";

const msg = (seq: number, user = "bob", room = "r"): RoomMessageDelivery => ({ room, id: `id-${seq}`, seq, user, text: `t${seq}`, sentAt: "2026-01-01T00:00:00Z" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The system clock with every wait of 500 ms or more cut to 10 ms: a rejoin's retry backoff passes at once. */
const fastRetryClock = { ...systemClock, setTimeout: (fn: () => void, ms: number) => systemClock.setTimeout(fn, ms >= 500 ? 10 : ms) };

describe("SeqStream (sdk/src/sequence.ts): in order, once, no gaps", () => {
  it("reorders, drops duplicates, skips own seqs, and reports a hole", () => {
    const got: number[] = [];
    const s = new SeqStream<RoomMessageDelivery>((m) => got.push(m.seq), 0);
    s.receive(msg(2));
    expect(got).toEqual([]);
    expect(s.hasGap()).toBe(true);
    s.receive(msg(1));
    s.receive(msg(1));
    s.receive(msg(2));
    s.own(3);
    s.receive(msg(4));
    expect(got).toEqual([1, 2, 4]);
    expect(s.lastSeq).toBe(4);
    expect(s.hasGap()).toBe(false);
  });

  it("holds during a recovery and releases fetched + held messages merged in seq order", () => {
    const got: number[] = [];
    const s = new SeqStream<RoomMessageDelivery>((m) => got.push(m.seq), 5);
    s.hold();
    s.receive(msg(9)); // live, arrives while the rejoin is in flight
    s.receive(msg(8));
    expect(got).toEqual([]);
    expect(s.release([msg(6), msg(7), msg(8)], (m) => m.seq === 7)).toBe(3);
    expect(got).toEqual([6, 8, 9]); // 7 was this client's own
    expect(s.lastSeq).toBe(9);
  });

  it("takes its baseline from the first message when none was given, and can give up on a hole", () => {
    const got: number[] = [];
    const s = new SeqStream<RoomMessageDelivery>((m) => got.push(m.seq));
    s.receive(msg(41));
    s.receive(msg(44));
    expect(got).toEqual([41]);
    expect(s.skipGap()).toEqual({ from: 42, to: 43, delivered: 1 });
    expect(got).toEqual([41, 44]);
    s.setBaseline(50);
    s.receive(msg(50));
    s.receive(msg(51));
    expect(got).toEqual([41, 44, 51]);
  });

  it("delivers a message it gave up on when it still comes (late, once), and only such a one", () => {
    const got: number[] = [];
    const late: number[] = [];
    const s = new SeqStream<RoomMessageDelivery>((m) => got.push(m.seq), 10, (m) => late.push(m.seq));
    s.receive(msg(13)); // 11 and 12 are still on their way (their node waits for Kafka)
    expect(s.skipGap()).toEqual({ from: 11, to: 12, delivered: 1 });
    expect(got).toEqual([13]);
    s.receive(msg(12)); // it was not lost: delivered late, not dropped as a duplicate
    s.receive(msg(12));
    s.receive(msg(10)); // at the baseline, never given up on: a duplicate
    expect(got).toEqual([13, 12]);
    expect(late).toEqual([12]);
    s.hold();
    expect(s.release([msg(11), msg(12), msg(14)])).toBe(1); // a later fetch brings 11 too
    expect(got).toEqual([13, 12, 11, 14]);
    expect(late).toEqual([12, 11]);
    s.receive(msg(11));
    expect(got).toEqual([13, 12, 11, 14]);
  });

  it("remembers only the newest MAX_SKIPPED seqs it gave up on", () => {
    const got: number[] = [];
    const s = new SeqStream<RoomMessageDelivery>((m) => got.push(m.seq), 0);
    s.receive(msg(MAX_SKIPPED + 11));
    expect(s.skipGap()).toEqual({ from: 1, to: MAX_SKIPPED + 10, delivered: 1 });
    s.receive(msg(10)); // older than the newest MAX_SKIPPED: forgotten, a duplicate
    s.receive(msg(11));
    expect(got).toEqual([MAX_SKIPPED + 11, 11]);
  });
});

/** A server stand-in: a room's stored messages, answering room:join { since } like realtime/recovery.ts. */
function fakeServer() {
  const stored: RoomMessageDelivery[] = [];
  const joins: Array<{ room: string; since?: number }> = [];
  const sends: Array<{ key: string; text: string }> = [];
  const byKey = new Map<string, { id: string; seq: number }>();
  let failSends = 0;
  const request = (async (event: keyof Payloads, payload: unknown) => {
    if (event === "room:join") {
      const p = payload as { room: string; since?: number };
      joins.push(p);
      const messages = p.since === undefined ? undefined : stored.filter((m) => m.seq > (p.since as number));
      return { room: p.room, memberCount: 2, ...(messages ? { recovered: true, messages } : { seq: stored.length }) };
    }
    throw new Error(`unexpected ${event}`);
  }) as unknown as <E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E]) => Promise<AckOf[E]>;
  const send = async (payload: { text: string; key: string }) => {
    sends.push({ key: payload.key, text: payload.text });
    const known = byKey.get(payload.key);
    if (known) return known;
    const seq = stored.length + 1;
    stored.push(msg(seq, "ann"));
    const ack = { id: `id-${seq}`, seq };
    byKey.set(payload.key, ack);
    if (failSends > 0) {
      failSends--;
      throw new InterlinkedError(ErrorCode.Unavailable, "disconnected before the ack", { temporary: true }); // stored, ack lost
    }
    return ack;
  };
  return { stored, joins, sends, request, send, loseNextAcks: (n: number) => (failSends = n) };
}

/** A Rejoiner on `request` and `outbox` with quiet defaults for everything a test does not set. */
function rejoinerWith(deps: Pick<RejoinDeps, "request" | "outbox"> & Partial<RejoinDeps>): Rejoiner {
  return new Rejoiner({
    clock: systemClock,
    connected: () => true,
    deliverRoom: () => undefined,
    deliverChat: () => undefined,
    rejoined: () => undefined,
    synced: () => undefined,
    error: (e) => expect.fail(e.message),
    gapWaitMs: 50,
    settleWaitMs: 100,
    user: () => "ann",
    ...deps,
  });
}

describe("Rejoiner (sdk/src/rejoin.ts) with the outbox", () => {
  it("after a reconnect rejoins with since, resends the unacked message with its key, and delivers the missed ones once, in order", async () => {
    const server = fakeServer();
    let connected = true;
    const delivered: number[] = [];
    const rejoined: Array<RecoveryInfo & { room: string }> = [];
    const ref: { rejoiner?: Rejoiner } = {};
    const outbox = new Outbox(
      {
        send: (_event, payload) => (connected ? server.send(payload) : Promise.reject(new InterlinkedError(ErrorCode.Unavailable, "down", { temporary: true }))),
        ready: (stream) => ref.rejoiner?.ready(stream) ?? false,
        acked: (stream, ack) => ref.rejoiner?.acked(stream, ack),
        clock: systemClock,
      },
      10_000,
    );
    const rejoiner = new Rejoiner({
      request: server.request,
      outbox,
      clock: systemClock,
      connected: () => connected,
      deliverRoom: (m) => delivered.push(m.seq),
      deliverChat: () => expect.fail("no chat here"),
      rejoined: (info) => rejoined.push(info),
      synced: () => undefined,
      error: (e) => expect.fail(e.message),
      gapWaitMs: 50,
      settleWaitMs: 1_000,
      user: () => "ann",
    });
    ref.rejoiner = rejoiner;

    expect(await rejoiner.join("r", 0)).toMatchObject({ room: "r", memberCount: 2 });
    // live traffic from bob; ann sends one, acked
    for (const seq of [1, 2]) {
      server.stored.push(msg(seq));
      rejoiner.roomMessage(msg(seq));
    }
    expect((await outbox.sendRoom("r", "first")).seq).toBe(3);
    server.stored.push(msg(4));
    rejoiner.roomMessage(msg(4));
    expect(delivered).toEqual([1, 2, 4]);

    // ann sends; the server stores it but the ack is lost with the connection
    await sleep(5);
    server.loseNextAcks(1);
    const pending = outbox.sendRoom("r", "second");
    connected = false;
    rejoiner.disconnected();
    await sleep(10);
    expect(server.sends.map((s) => s.text)).toEqual(["first", "second"]); // sent once, ack lost
    // while away: bob's 6, 7 are stored
    for (const seq of [6, 7]) server.stored.push(msg(seq));
    connected = true;
    rejoiner.reconnected();
    rejoiner.roomMessage(msg(8)); // live on the new connection, before the rejoin's ack
    server.stored.push(msg(8));
    const ack = await pending;
    expect(ack.seq).toBe(5);
    await sleep(50);

    expect(server.joins.at(-1)).toEqual({ room: "r", since: 4 });
    const keys = server.sends.filter((s) => s.text === "second").map((s) => s.key);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1); // resent with the same key: stored once
    expect(server.stored.filter((m) => m.user === "ann")).toHaveLength(2);
    expect(delivered).toEqual([1, 2, 4, 6, 7, 8]); // own 3 and 5 never delivered back
    expect(rejoined).toEqual([{ room: "r", recovered: true, missed: 3, reason: "reconnect" }]);
    expect(rejoiner.lastSeq("room", "r")).toBe(8);
  });

  it.each([
    ["a temporary refusal (5005)", ErrorCode.Overloaded],
    ["a refusal not marked temporary (5000)", ErrorCode.Internal],
  ])("a rejoin after a reconnect refused with %s: the room is not taken as joined, sends wait, and the rejoin is retried", async (_name, code) => {
    const server = fakeServer();
    const serverRequest = server.request;
    let refuseJoins = 0;
    const request = (async (event: keyof Payloads, payload: never) => {
      if (event === "room:join" && refuseJoins > 0) {
        refuseJoins--;
        throw new InterlinkedError(code, "refused", {});
      }
      return serverRequest(event as "room:join", payload);
    }) as typeof server.request;
    const sentWhileNotJoined: string[] = [];
    let joined = true;
    const errors: number[] = [];
    const rejoined: Array<RecoveryInfo & { room: string }> = [];
    const ref: { rejoiner?: Rejoiner } = {};
    const outbox = new Outbox(
      {
        send: (_event, payload) => {
          if (!joined) {
            sentWhileNotJoined.push(payload.text);
            return Promise.reject(new InterlinkedError(ErrorCode.NotInRoom, "join the room first", {}));
          }
          return server.send(payload);
        },
        ready: (stream) => ref.rejoiner?.ready(stream) ?? false,
        acked: (stream, ack) => ref.rejoiner?.acked(stream, ack),
        clock: systemClock,
      },
      10_000,
    );
    const rejoiner = new Rejoiner({
      request: (async (event: keyof Payloads, payload: never) => {
        const ack = await request(event as "room:join", payload);
        if (event === "room:join") joined = true;
        return ack;
      }) as typeof server.request,
      outbox,
      clock: systemClock,
      connected: () => true,
      deliverRoom: () => undefined,
      deliverChat: () => undefined,
      rejoined: (info) => rejoined.push(info),
      synced: () => undefined,
      error: (e) => errors.push(e.code),
      gapWaitMs: 50,
      settleWaitMs: 200,
      user: () => "ann",
    });
    ref.rejoiner = rejoiner;
    await rejoiner.join("r", 0);
    // the connection drops and comes back (a new socket: not in the room until room:join succeeds)
    rejoiner.disconnected();
    joined = false;
    refuseJoins = 1;
    rejoiner.reconnected();
    await sleep(20);
    expect(errors).toEqual([code]);
    const sent = outbox.sendRoom("r", "after the refusal");
    await sleep(50);
    expect(sentWhileNotJoined).toEqual([]); // waits for the rejoin instead of failing with 4001
    expect(rejoiner.ready("room:r")).toBe(false);
    expect((await sent).seq).toBe(1); // the retried rejoin succeeded, then the send went out
    await sleep(20); // the recovery reports once the stream's sends settled
    expect(server.joins.filter((j) => j.room === "r")).toHaveLength(2); // the first join, the retried rejoin (the refused one never reached the store)
    expect(rejoined).toEqual([{ room: "r", recovered: true, missed: 0, reason: "reconnect" }]);
  });

  it("fetches a hole in a live stream after gapWaitMs", async () => {
    const server = fakeServer();
    const delivered: number[] = [];
    const infos: RecoveryInfo[] = [];
    const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock: systemClock }, 1_000);
    const rejoiner = rejoinerWith({ request: server.request, outbox, deliverRoom: (m) => delivered.push(m.seq), rejoined: (info) => infos.push(info), gapWaitMs: 30 });
    await rejoiner.join("r", 0);
    for (const seq of [1, 2, 3]) server.stored.push(msg(seq));
    rejoiner.roomMessage(msg(1));
    rejoiner.roomMessage(msg(3)); // 2 got lost on the way
    expect(delivered).toEqual([1]);
    await sleep(100);
    expect(server.joins.at(-1)).toEqual({ room: "r", since: 1 });
    expect(delivered).toEqual([1, 2, 3]);
    expect(infos).toEqual([{ recovered: true, missed: 2, reason: "gap", room: "r" }]); // 2 fetched, 3 held
  });
});

/** A rejoiner answering each room:join with `answer(since)`, recording what it delivers, reports and asks. */
function roomJoinRig(answer: (since: number | undefined, r: Rejoiner) => AckOf["room:join"], deps: Partial<RejoinDeps>) {
  const delivered: number[] = [];
  const infos: RecoveryInfo[] = [];
  const lates: number[] = [];
  const joins: Array<number | undefined> = [];
  const request = (async (event: keyof Payloads, payload: unknown) => {
    if (event !== "room:join") throw new Error(`unexpected ${event}`);
    const since = (payload as { since?: number }).since;
    joins.push(since);
    return answer(since, rejoiner);
  }) as unknown as <E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E]) => Promise<AckOf[E]>;
  const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock: systemClock }, 1_000);
  const rejoiner = rejoinerWith({ request, outbox, deliverRoom: (m) => delivered.push(m.seq), rejoined: (info) => infos.push(info), late: (info) => lates.push(info.seq), ...deps });
  return { rejoiner, delivered, infos, lates, joins };
}

describe("Rejoiner: a hole of seqs the server says are on their way", () => {
  it("is not reported as skipped, and the message is delivered when it comes (late)", async () => {
    // seq 2 was handed out but its node still waits for Kafka: the server answers 3 and says 2 is on its way
    const { rejoiner, delivered, infos, lates, joins } = roomJoinRig(
      (since) => (since === 0 ? { room: "r", memberCount: 2, recovered: true, messages: [] } : { room: "r", memberCount: 2, recovered: true, messages: [msg(3)], pending: [2] }),
      { gapWaitMs: 30 },
    );
    await rejoiner.join("r", 0);
    rejoiner.roomMessage(msg(1));
    rejoiner.roomMessage(msg(4)); // 2 and 3 not here yet
    await sleep(100);
    expect(joins).toEqual([0, 1]);
    expect(infos).toEqual([{ recovered: true, missed: 2, reason: "gap", room: "r" }]); // 3 fetched, 4 held; not skipped: 2 is on its way
    expect(delivered).toEqual([1, 3, 4]);
    rejoiner.roomMessage(msg(2)); // its node got Kafka's acknowledgement and broadcast it
    rejoiner.roomMessage(msg(2));
    expect(delivered).toEqual([1, 3, 4, 2]);
    expect(lates).toEqual([2]);
  });
});

describe("Rejoiner: what a reconnect's recovery speaks for (the server's `seq` at its read)", () => {
  /** A rejoiner joined to "r" at 0 that has seen seq 1; `answer` gives the reconnect's room:join ack, `during` runs while it is in flight. */
  async function reconnectWith(answer: AckOf["room:join"], during: (r: Rejoiner) => void, foundNowhereWaitMs = 5_000, gapWaitMs = foundNowhereWaitMs) {
    const rig = roomJoinRig(
      (since, r) => {
        if (since === 0) return { room: "r", memberCount: 2, seq: 0, recovered: true, messages: [] };
        if (since !== 1) return { ...answer, messages: (answer.messages ?? []).filter((m) => m.seq > (since ?? 0)) }; // the next page
        during(r);
        return answer;
      },
      { gapWaitMs, foundNowhereWaitMs },
    );
    await rig.rejoiner.join("r", 0);
    rig.rejoiner.roomMessage(msg(1));
    rig.rejoiner.disconnected();
    rig.rejoiner.reconnected();
    await sleep(50);
    return rig;
  }

  it("does not give up a hole above that seq: a message numbered after the read, overtaken by a higher one", async () => {
    // the server read seq 2; 3 and 4 were numbered after it, and 4 (its node faster) came live before 3
    const { rejoiner, delivered, infos, lates, joins } = await reconnectWith({ room: "r", memberCount: 2, seq: 2, recovered: true, messages: [msg(2)] }, (r) => r.roomMessage(msg(4)), 5_000);
    expect(joins).toEqual([0, 1]);
    expect(infos).toEqual([{ recovered: true, missed: 1, reason: "reconnect", room: "r" }]); // nothing skipped
    expect(delivered).toEqual([1, 2]); // 4 waits for 3
    rejoiner.roomMessage(msg(3));
    expect(delivered).toEqual([1, 2, 3, 4]); // in order, not late
    expect(lates).toEqual([]);
  });

  it("is recovered when every seq up to it arrived live meanwhile, though the server could not vouch for one", async () => {
    // seq 2 was numbered an instant before the server's read and not yet reserved: found nowhere, not vouched
    const { delivered, infos } = await reconnectWith({ room: "r", memberCount: 2, seq: 2, recovered: false, messages: [] }, (r) => r.roomMessage(msg(2)));
    expect(infos).toEqual([{ recovered: true, missed: 1, reason: "reconnect", room: "r" }]); // 2, held during the rejoin
    expect(delivered).toEqual([1, 2]);
  });

  it("waits (foundNowhereWaitMs, or the gap wait when longer) for a seq up to it that the server found nowhere: recovered when it comes", async () => {
    const pending = reconnectWith({ room: "r", memberCount: 2, seq: 2, recovered: false, messages: [] }, () => undefined, 200);
    const { rejoiner, delivered, infos } = await pending; // 50 ms in: still waiting for 2
    expect(infos).toEqual([]);
    rejoiner.roomMessage(msg(2));
    await sleep(60);
    expect(infos).toEqual([{ recovered: true, missed: 1, reason: "reconnect", room: "r" }]); // 2, held through the wait
    expect(delivered).toEqual([1, 2]);
  });

  it("waits so for a seq found nowhere below one that came live, instead of giving it up at once", async () => {
    // the server read seq 3 (found 3, not 2: numbered first, its node slower); 3 also came live meanwhile
    const { rejoiner, delivered, infos, lates } = await reconnectWith({ room: "r", memberCount: 2, seq: 3, recovered: false, messages: [msg(3)] }, (r) => r.roomMessage(msg(3)), 200, 5_000);
    expect(infos).toEqual([]);
    rejoiner.roomMessage(msg(2));
    await sleep(60);
    expect(infos).toEqual([{ recovered: true, missed: 2, reason: "reconnect", room: "r" }]); // 2 and 3, held through the wait
    expect(delivered).toEqual([1, 2, 3]);
    expect(lates).toEqual([]);
  });

  it("holds the stream through that wait: a live message meanwhile starts no gap fetch that would cut the rejoin short", async () => {
    const { rejoiner, delivered, infos, joins } = await reconnectWith({ room: "r", memberCount: 2, seq: 3, recovered: false, messages: [msg(3)] }, () => undefined, 300, 20);
    rejoiner.roomMessage(msg(4)); // after the ack, during the wait: 2 is still missing
    await sleep(100); // several gap waits
    rejoiner.roomMessage(msg(2));
    await sleep(60);
    expect(joins).toEqual([0, 1, 3]); // the recovery's two pages (the server did not vouch for the first), no gap fetch
    expect(infos).toEqual([{ recovered: true, missed: 3, reason: "reconnect", room: "r" }]);
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it("gives it up after that wait when it does not come (then delivers it late if it ever does)", async () => {
    const { rejoiner, delivered, infos, lates } = await reconnectWith({ room: "r", memberCount: 2, seq: 2, recovered: false, messages: [] }, () => undefined, 60);
    await sleep(80);
    expect(infos).toEqual([{ recovered: false, missed: 0, reason: "reconnect", room: "r", skipped: { from: 2, to: 2 } }]);
    rejoiner.roomMessage(msg(2));
    expect(delivered).toEqual([1, 2]);
    expect(lates).toEqual([2]);
  });

  it("still gives up a hole at or below it that the server could not fill, after that wait", async () => {
    const { delivered, infos } = await reconnectWith({ room: "r", memberCount: 2, seq: 3, recovered: false, messages: [msg(3)] }, () => undefined, 20);
    expect(infos).toEqual([{ recovered: false, missed: 1, reason: "reconnect", room: "r", skipped: { from: 2, to: 2 } }]);
    expect(delivered).toEqual([1, 3]);
  });
});

/** A clock whose time moves only on `advance` (timers due by then run, in order, with the promises they start). */
function manualClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const flush = () => new Promise((r) => setImmediate(r));
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimeout: (t: unknown) => {
      const i = timers.indexOf(t as { at: number; fn: () => void });
      if (i >= 0) timers.splice(i, 1);
    },
    advance: async (ms: number) => {
      const until = now + ms;
      for (;;) {
        await flush();
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.splice(timers.indexOf(due), 1);
        now = due.at;
        due.fn();
      }
      now = until;
      await flush();
    },
  };
}

describe("Rejoiner: the wait before a hole is fetched", () => {
  it("grows when the live copy of a fetched message arrives after the fetch (the hole was only late)", async () => {
    const server = fakeServer();
    const delivered: number[] = [];
    const clock = manualClock();
    const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock }, 1_000);
    const rejoiner = rejoinerWith({ request: server.request, outbox, clock, deliverRoom: (m) => delivered.push(m.seq), gapWaitMs: 500 });
    await rejoiner.join("r", 0);
    for (const seq of [1, 2, 3]) server.stored.push(msg(seq));
    rejoiner.roomMessage(msg(1));
    rejoiner.roomMessage(msg(3)); // 2 is late
    await clock.advance(499);
    expect(server.joins.length).toBe(1);
    await clock.advance(1);
    expect(server.joins.length).toBe(2); // fetched after 500 ms
    rejoiner.roomMessage(msg(2)); // its live copy: the fetch was not needed
    for (const seq of [4, 5]) server.stored.push(msg(seq));
    rejoiner.roomMessage(msg(5)); // 4 is late too: now the hole waits 1 s
    await clock.advance(999);
    expect(server.joins.length).toBe(2);
    rejoiner.roomMessage(msg(4)); // it comes within the longer wait: no fetch at all
    await clock.advance(2_000);
    expect(server.joins.length).toBe(2);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("Rejoiner: a room joined without since", () => {
  it("follows it from the server's seq at the join, so a reconnect before any message recovers what was missed", async () => {
    const server = fakeServer();
    for (const seq of [1, 2]) server.stored.push(msg(seq)); // before the join
    const delivered: number[] = [];
    const infos: RecoveryInfo[] = [];
    const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock: systemClock }, 1_000);
    const rejoiner = rejoinerWith({ request: server.request, outbox, deliverRoom: (m) => delivered.push(m.seq), rejoined: (info) => infos.push(info) });
    await rejoiner.join("r");
    expect(rejoiner.lastSeq("room", "r")).toBe(2);
    rejoiner.disconnected();
    for (const seq of [3, 4]) server.stored.push(msg(seq)); // sent while the client was away
    rejoiner.reconnected();
    await sleep(50);
    expect(server.joins).toEqual([{ room: "r" }, { room: "r", since: 2 }]);
    expect(delivered).toEqual([3, 4]);
    expect(infos).toEqual([{ recovered: true, missed: 2, reason: "reconnect", room: "r" }]);
  });
});

describe("Rejoiner: a conversation's sync after a reconnect", () => {
  it("refused with a code not marked temporary (5000) is retried until it succeeds, then reported as synced", async () => {
    let refuseSyncs = 0;
    const syncs: number[] = [];
    const request = (async (event: keyof Payloads, payload: unknown) => {
      if (event !== "chat:sync") throw new Error(`unexpected ${event}`);
      const p = payload as { conversationId: string; since: number };
      syncs.push(p.since);
      if (refuseSyncs > 0) {
        refuseSyncs--;
        throw new InterlinkedError(ErrorCode.Internal, "internal error", {}); // e.g. the database pool timed out
      }
      return { conversationId: p.conversationId, recovered: true, messages: [] };
    }) as unknown as <E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E]) => Promise<AckOf[E]>;
    const synced: Array<RecoveryInfo & { conversationId: string }> = [];
    const errors: number[] = [];
    const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock: systemClock }, 1_000);
    const rejoiner = rejoinerWith({ request, outbox, clock: fastRetryClock, synced: (info) => synced.push(info), error: (e) => errors.push(e.code) });
    await rejoiner.sync("c1", 0);
    refuseSyncs = 2;
    rejoiner.disconnected();
    rejoiner.reconnected();
    await sleep(200);
    expect(errors).toEqual([ErrorCode.Internal, ErrorCode.Internal]);
    expect(syncs).toEqual([0, 0, 0, 0]); // the first sync, two refused, the retry that succeeded
    expect(synced).toEqual([{ conversationId: "c1", recovered: true, missed: 0, reason: "reconnect" }]);
  });
});

describe("Outbox (sdk/src/outbox.ts): a resend after a backoff", () => {
  it("waits for the stream to be ready again when the connection was replaced during the backoff (no 4001 on the new socket)", async () => {
    let ready = true;
    let joined = true;
    const sends: string[] = [];
    let refuseFirst = true;
    const outbox = new Outbox(
      {
        send: (_event, payload) => {
          sends.push(joined ? "joined" : "not joined");
          if (!joined) return Promise.reject(new InterlinkedError(ErrorCode.NotInRoom, "join the room first", {}));
          if (refuseFirst) {
            refuseFirst = false;
            return Promise.reject(new InterlinkedError(ErrorCode.InProgress, "still being accepted", {})); // temporary: backoff, then resend
          }
          return Promise.resolve({ id: payload.key, seq: 7 });
        },
        ready: () => ready,
        acked: () => undefined,
        clock: systemClock,
      },
      5_000,
    );
    const sent = outbox.sendRoom("r", "hello");
    await sleep(20); // refused once; the resend waits out its backoff (~200 ms)
    // meanwhile the connection drops and a new one comes up: the room is not joined on it yet
    ready = false;
    joined = false;
    await sleep(400);
    expect(sends).toEqual(["joined"]); // nothing sent on the new socket before the rejoin
    joined = true;
    ready = true;
    outbox.pump(); // what the rejoin does once the room is joined again
    expect(await sent).toEqual({ id: expect.any(String), seq: 7 });
    expect(sends).toEqual(["joined", "joined"]);
  });
});

describe("Outbox (sdk/src/outbox.ts): a message given up at its deadline", () => {
  it("rejects with the refusal it was backing off from, not 'not connected', when the deadline falls in a backoff", async () => {
    let sends = 0;
    const outbox = new Outbox(
      {
        send: () => {
          sends++;
          return Promise.reject(new InterlinkedError(ErrorCode.Overloaded, "this node is over capacity: retry shortly", {}));
        },
        ready: () => true, // connected and joined throughout
        acked: () => undefined,
        clock: systemClock,
      },
      250, // refused at once, backoff 200 ms, refused again, then the deadline falls in the second backoff
    );
    const error = await outbox.sendRoom("r", "hello").then(
      () => expect.fail("not acked"),
      (err: unknown) => err as InterlinkedError,
    );
    expect(sends).toBeGreaterThanOrEqual(2);
    expect(error.code).toBe(ErrorCode.Overloaded);
    expect(error.message).not.toContain("not connected");
  });

  it("waits the server's retryAfterMs before resending a refused message, not its own backoff", async () => {
    const waits: number[] = [];
    let sends = 0;
    // backoffs are recorded and cut to 1 ms; the message's own deadline (60 s) runs as it is
    const recordingClock = { ...systemClock, setTimeout: (fn: () => void, ms: number) => (ms === 60_000 ? systemClock.setTimeout(fn, ms) : (waits.push(ms), systemClock.setTimeout(fn, 1))) };
    const outbox = new Outbox(
      {
        send: (_event, payload) => {
          sends++;
          if (sends === 1) return Promise.reject(fromErrorBody({ code: ErrorCode.Overloaded, message: "over capacity", temporary: true, retryAfterMs: 7_000 }));
          return Promise.resolve({ id: payload.key, seq: 1 });
        },
        ready: () => true,
        acked: () => undefined,
        clock: recordingClock,
      },
      60_000,
    );
    expect(await outbox.sendRoom("r", "hello")).toEqual({ id: expect.any(String), seq: 1 });
    expect(sends).toBe(2);
    expect(waits).toEqual([7_000]); // the SDK's own first backoff would have been 200 ms
  });

  it("still says 'not connected' when it was waiting for its stream to be ready", async () => {
    const outbox = new Outbox({ send: () => expect.fail("no sends while not ready"), ready: () => false, acked: () => undefined, clock: systemClock }, 50);
    const error = await outbox.sendRoom("r", "hello").then(
      () => expect.fail("not acked"),
      (err: unknown) => err as InterlinkedError,
    );
    expect(error.code).toBe(ErrorCode.Timeout);
    expect(error.message).toContain("not connected");
  });
});

describe("Rejoiner: the retry backoff of a refused rejoin", () => {
  it("stays within 5 s between attempts, so a client whose rejoins are refused for a while is back soon after they are accepted", async () => {
    let refuse = 7;
    const waits: number[] = [];
    const clock = {
      ...systemClock,
      setTimeout: (fn: () => void, ms: number) => {
        if (ms >= 500) waits.push(ms);
        return systemClock.setTimeout(fn, ms >= 500 ? 5 : ms);
      },
    };
    const request = (async (event: keyof Payloads, payload: unknown) => {
      const p = payload as { room: string; since?: number };
      if (event === "room:join" && p.since !== undefined && refuse-- > 0) throw new InterlinkedError(ErrorCode.Unavailable, "busy", {});
      return { room: p.room, memberCount: 1, ...(p.since === undefined ? {} : { recovered: true, messages: [] }) };
    }) as unknown as <E extends keyof Payloads & keyof AckOf>(event: E, payload: Payloads[E]) => Promise<AckOf[E]>;
    const rejoined: string[] = [];
    const outbox = new Outbox({ send: () => expect.fail("no sends"), ready: () => true, acked: () => undefined, clock }, 1_000);
    const rejoiner = rejoinerWith({ request, outbox, clock, rejoined: (info) => rejoined.push(info.room), error: () => undefined });
    await rejoiner.join("r");
    rejoiner.roomMessage(msg(1));
    rejoiner.disconnected();
    rejoiner.reconnected();
    await sleep(300);
    expect(rejoined).toEqual(["r"]);
    expect(waits).toHaveLength(7);
    expect(Math.max(...waits)).toBeLessThanOrEqual(5_000);
  });
});

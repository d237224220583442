import { describe, expect, it } from "vitest";
import { CUT_OFF_CONFIRM_MS, HEARTBEAT_MS, ISOLATED_AFTER_MS, LivenessWatch, NODE_TTL_MS, NodeHeartbeat, ReapGate } from "./node-liveness";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("NodeHeartbeat", () => {
  it("runs every duty in order on each beat, and a failing duty does not stop the others", async () => {
    const errors: string[] = [];
    const seen: string[] = [];
    const hb = new NodeHeartbeat((duty) => errors.push(duty), 20);
    hb.add("first", async (beat) => void seen.push(`first ${beat}`));
    hb.add("broken", async () => {
      throw new Error("down");
    });
    hb.add("last", async (beat) => void seen.push(`last ${beat}`));
    hb.add("alive", async (beat) => void seen.push(`alive ${beat}`), { liveness: true });
    hb.start();
    await sleep(50);
    hb.stop();
    expect(seen.slice(0, 6)).toEqual(["alive 0", "first 0", "last 0", "alive 1", "first 1", "last 1"]);
    expect(errors[0]).toBe("broken");
  });

  it("never runs two beats at once, and a removed duty stops running", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const hb = new NodeHeartbeat(() => undefined, 5);
    const remove = hb.add("slow", async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      await sleep(30);
      active--;
    });
    hb.start();
    await sleep(80);
    expect(maxActive).toBe(1);
    remove();
    const after = runs;
    await sleep(60);
    hb.stop();
    expect(runs).toBeLessThanOrEqual(after + 1);
  });
});

describe("NodeHeartbeat: liveness does not wait behind upkeep", () => {
  it("keeps beating its liveness duties on every tick while a slow upkeep duty runs, and never runs the upkeep twice at once", async () => {
    const alive: number[] = [];
    let upkeepRuns = 0;
    let upkeepActive = 0;
    let upkeepMaxActive = 0;
    const hb = new NodeHeartbeat(() => undefined, 10);
    hb.add("alive", async (beat) => void alive.push(beat), { liveness: true });
    hb.add("slow upkeep", async () => {
      upkeepRuns++;
      upkeepActive++;
      upkeepMaxActive = Math.max(upkeepMaxActive, upkeepActive);
      await sleep(150);
      upkeepActive--;
    });
    hb.start();
    await sleep(120);
    hb.stop();
    // a slow upkeep (announcing a dead node's users on a loaded node) used to skip every beat behind it
    expect(alive.length).toBeGreaterThanOrEqual(5);
    expect(upkeepRuns).toBe(1);
    expect(upkeepMaxActive).toBe(1);
  });
});

describe("NodeHeartbeat: a slow beat does not hold back the next one", () => {
  it("sends a liveness beat every period while each takes several periods to answer, at most LIVENESS_IN_FLIGHT at once", async () => {
    const started: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const hb = new NodeHeartbeat(() => undefined, 10, 5);
    hb.add(
      "alive",
      async (beat) => {
        started.push(beat);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(45); // 4.5 periods: the store answers slowly (a survivor flooding it with a reap)
        inFlight--;
      },
      { liveness: true },
    );
    hb.start();
    await sleep(150);
    hb.stop();
    // one at a time, a beat went out only every 5 periods (3 or 4 here), landings further apart than the others wait
    expect(started.length).toBeGreaterThanOrEqual(8);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(5);
  });

  it("stops adding beats while LIVENESS_IN_FLIGHT hang (an unreachable Redis), and beats again once they end", async () => {
    let release: () => void = () => undefined;
    const hanging = new Promise<void>((r) => (release = r));
    let started = 0;
    const hb = new NodeHeartbeat(() => undefined, 10, 3);
    hb.add("alive", async () => {
      started++;
      await hanging;
    }, { liveness: true });
    hb.start();
    await sleep(80);
    expect(started).toBe(3);
    release();
    await sleep(35);
    hb.stop();
    expect(started).toBeGreaterThan(3);
  });
});

describe("LivenessWatch", () => {
  it("isolates the node once no beat got through for ISOLATED_AFTER_MS (before the others reap it) and no Redis node answers; the next good beat ends it", async () => {
    let now = 1_000;
    let cut = false;
    const changes: boolean[] = [];
    const watch = new LivenessWatch(async () => cut, ISOLATED_AFTER_MS, () => now);
    watch.onChange((isolated) => changes.push(isolated));
    expect(ISOLATED_AFTER_MS).toBeLessThan(NODE_TTL_MS);
    now += ISOLATED_AFTER_MS;
    await watch.check();
    expect(watch.isolated).toBe(false);
    now += 1;
    // overdue, but another Redis node answers (a failover of one primary): not isolated
    await watch.check();
    expect(watch.isolated).toBe(false);
    cut = true;
    await watch.check();
    await watch.check();
    expect(watch.isolated).toBe(true);
    expect(changes).toEqual([true]);
    now += 30_000;
    watch.ok();
    watch.ok();
    expect(watch.isolated).toBe(false);
    expect(changes).toEqual([true, false]);
    now += 1_000;
    await watch.check();
    expect(changes).toEqual([true, false]);
  });

  it("confirms the cut-off ahead of the deadline, so a node cut off is isolated at ISOLATED_AFTER_MS and not a PING timeout later", async () => {
    let now = 0;
    const changes: Array<{ isolated: boolean; at: number }> = [];
    // a black hole: every PING waits CUT_OFF_CONFIRM_MS for an answer that never comes
    const cutOff = async (): Promise<boolean> => {
      now += CUT_OFF_CONFIRM_MS;
      return true;
    };
    const sleep = async (ms: number): Promise<void> => {
      now += ms;
    };
    const watch = new LivenessWatch(cutOff, ISOLATED_AFTER_MS, () => now, undefined, sleep);
    watch.onChange((isolated) => changes.push({ isolated, at: now }));
    // the last beat got through at 0; checks every 500 ms, as start() runs them
    while (!watch.isolated && now < 3 * ISOLATED_AFTER_MS) {
      const before = now;
      await watch.check();
      if (now === before) now += 500;
    }
    expect(changes).toHaveLength(1);
    expect(changes[0]?.at).toBeGreaterThan(ISOLATED_AFTER_MS);
    expect(changes[0]?.at).toBeLessThanOrEqual(ISOLATED_AFTER_MS + 1); // was ISOLATED_AFTER_MS + 500 + CUT_OFF_CONFIRM_MS
  });

  it("a confirmation that ends before the deadline isolates nothing if a beat gets through meanwhile", async () => {
    let now = 0;
    const beat = { land: (): void => undefined };
    const watch = new LivenessWatch(
      async () => true,
      ISOLATED_AFTER_MS,
      () => now,
      undefined,
      async (ms) => {
        now += ms / 2;
        beat.land(); // the beat lands while the confirmation waits for the deadline
        now += ms / 2;
      },
    );
    beat.land = () => watch.ok();
    const changes: boolean[] = [];
    watch.onChange((isolated) => changes.push(isolated));
    now = ISOLATED_AFTER_MS - CUT_OFF_CONFIRM_MS + 1;
    await watch.check();
    expect(watch.isolated).toBe(false);
    expect(changes).toEqual([]);
  });
});

describe("ReapGate: no reap on evidence the store itself made old", () => {
  it("opens at the first beat, closes after a gap in this node's own beats until the store has taken them for a node TTL", () => {
    let now = 1_000_000;
    const gate = new ReapGate(() => now);
    expect(gate.open).toBe(false); // no beat got through yet
    gate.beat();
    expect(gate.open).toBe(true);
    for (let i = 0; i < 5; i++) {
      now += HEARTBEAT_MS;
      gate.beat();
      expect(gate.open).toBe(true); // steady beats: reaps as before
    }
    // a failover of the shard holding the node set: no beat lands for 10 s, then this node's beat gets through
    now += 10_000;
    expect(gate.open).toBe(false); // its last beat is old: it is not hearing the store either
    gate.beat();
    expect(gate.open).toBe(false); // the others' last beats are as old as its own was: not evidence
    now += NODE_TTL_MS - HEARTBEAT_MS;
    gate.beat();
    expect(gate.open).toBe(false);
    now += HEARTBEAT_MS;
    gate.beat();
    expect(gate.open).toBe(true); // a full node TTL in which every live node could beat
    // a beat a little late (a loaded node) is no gap
    now += ISOLATED_AFTER_MS;
    gate.beat();
    expect(gate.open).toBe(true);
  });
});

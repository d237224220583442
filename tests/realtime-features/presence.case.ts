import { expect, it } from "vitest";
import { eventually, recordEvents } from "../support/clients";
import { ack, freshTenant, sleep } from "../support/realtime";
import type { FeatureContext } from "./context";

/** Presence across nodes: online until the last socket closes, away, diffs to subscribers and room members. */
export function presenceFeatures({ pool }: FeatureContext): void {
  it("presence: online across nodes until the last socket closes, away, diffs to subscribers and room members", async () => {
    const t = freshTenant("pres");
    const watcher = await pool.connect(0, t, "watcher");
    expect(await ack(watcher, "presence:subscribe", { users: ["ann"] })).toEqual({ statuses: { ann: "offline" } });
    const seen = recordEvents<{ user: string; status: string }>(watcher, "presence");
    const ann1 = await pool.connect(1, t, "ann");
    const ann2 = await pool.connect(2, t, "ann");
    await eventually(async () => seen.map((s) => s.status), (s) => s.includes("online"));
    expect(await ack(ann2, "presence:set", { status: "away" })).toEqual({ status: "online" });
    expect(await ack(ann1, "presence:set", { status: "away" })).toEqual({ status: "away" });
    expect(await ack(watcher, "presence:query", { users: ["ann", "nobody"] })).toEqual({ statuses: { ann: "away", nobody: "offline" } });
    await ack(ann1, "room:join", { room: "hall" });
    const diffs = recordEvents<{ user: string; action: string }>(ann1, "room:member");
    const bob = await pool.connect(2, t, "bob");
    expect(await ack(bob, "room:join", { room: "hall" })).toMatchObject({ members: ["ann", "bob"] });
    expect(await ack(bob, "room:members", { room: "hall" })).toEqual({ room: "hall", members: [{ user: "ann", status: "away" }, { user: "bob", status: "online" }] });
    await eventually(async () => diffs, (d) => d.some((x) => x.user === "bob" && x.action === "joined"));
    bob.close();
    await eventually(async () => diffs, (d) => d.some((x) => x.user === "bob" && x.action === "left"));
    ann1.close();
    await sleep(300);
    expect(await ack(watcher, "presence:query", { users: ["ann"] })).toEqual({ statuses: { ann: "away" } });
    ann2.close();
    await eventually(async () => seen.map((s) => s.status), (s) => s[s.length - 1] === "offline");
    expect(seen.map((s) => s.status)).toEqual(["online", "away", "offline"]);
  });
}

import { expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import type { RoomMessageDelivery } from "../../core/events";
import { connectClient, eventually, nextEvent, recordEvents, type TestClient } from "../support/clients";
import { apiAs } from "../support/http";
import { mintToken } from "../support/nodes";
import { ack, freshTenant, sleep } from "../support/realtime";
import type { FeatureContext } from "./context";

/** Rooms: private rooms, idempotent resends, typing, and large rooms spread over every node. */
export function roomFeatures(ctx: FeatureContext): void {
  const { pool, api } = ctx;
  it("rooms: private rooms for members only, idempotent resends, typing to others", async () => {
    const t = freshTenant("rooms");
    await (await api(t, "teach", "teacher")).post("/v1/rooms", { room: "club", title: "Club", private: true });
    const outsider = await pool.connect(0, t, "out");
    expect((await ack(outsider, "room:join", { room: "club" })).error?.code).toBe(ErrorCode.NotFound);
    await (await api(t, "teach", "teacher")).put("/v1/rooms/club/members/in");
    const member = await pool.connect(1, t, "in");
    const teacher = await pool.connect(2, t, "teach", "teacher");
    await ack(member, "room:join", { room: "club" });
    await ack(teacher, "room:join", { room: "club" });
    const got = recordEvents<RoomMessageDelivery>(teacher, "room:message");
    const first = await ack(member, "room:message", { room: "club", text: "once", key: "k-1" });
    const again = await ack(member, "room:message", { room: "club", text: "once", key: "k-1" });
    expect(again).toEqual(first);
    await eventually(async () => got.length, (n) => n >= 1);
    await sleep(200);
    expect(got.map((m) => m.text)).toEqual(["once"]);
    const typing = nextEvent<{ user: string }>(teacher, "room:typing");
    const selfTyping = recordEvents(member, "room:typing");
    await ack(member, "room:typing", { room: "club" });
    expect((await typing).user).toBe("in");
    expect(selfTyping).toEqual([]);
    const history = await eventually(() => api(t, "teach", "teacher").then((a) => a.get<{ messages: unknown[] }>("/v1/rooms/club/messages")), (r) => r.body.messages?.length >= 1);
    await sleep(300);
    expect((await (await api(t, "teach", "teacher")).get<{ messages: unknown[] }>("/v1/rooms/club/messages")).body.messages).toHaveLength(history.body.messages.length);
  });

  it("large rooms: 110 members over 3 nodes (one long-polling) get every message once and in order, never their own", async () => {
    const deployment = ctx.deployment();
    const t = freshTenant("big");
    const url = (n: number) => (deployment.nodes[n] as { url: string }).url;
    expect((await (await apiAs(url(0), "platform", "root", "super_admin")).put(`/v1/tenants/${t}/quotas`, { maxConnections: 200 })).status).toBe(200);
    // 100 on node 0 (past the 100 local members from which the uWS engine batches its publishes), 5 on each other node
    const placement = [...Array.from({ length: 100 }, () => 0), 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
    const members: TestClient[] = [];
    for (let i = 0; i < placement.length; i += 20) members.push(...(await Promise.all(placement.slice(i, i + 20).map((node, k) => pool.connect(node, t, `m${i + k}`)))));
    const poller = pool.track(await connectClient(url(1), await mintToken(t, "poller"), ["polling"]));
    const everyone = [...members, poller];
    for (let i = 0; i < everyone.length; i += 20) await Promise.all(everyone.slice(i, i + 20).map((c) => ack(c, "room:join", { room: "hall" })));
    const got = everyone.map((c) => recordEvents<RoomMessageDelivery>(c, "room:message"));
    const [local, remote] = [members[0]!, members[100]!]; // senders on node 0 and node 1
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [sender, text] = i % 3 === 2 ? [remote, `r${i}`] : [local, `l${i}`];
      expect(await ack(sender, "room:message", { room: "hall", text })).toMatchObject({ seq: i + 1 });
      sent.push(text);
    }
    const texts = (k: number) => got[k]!.map((m) => m.text);
    await eventually(async () => got.map((g) => g.length), (lengths) => lengths.every((n, k) => n === sent.filter((x) => x[0] !== (k === 0 ? "l" : k === 100 ? "r" : "-")).length));
    expect(texts(0)).toEqual(sent.filter((x) => x.startsWith("r")));
    expect(texts(100)).toEqual(sent.filter((x) => x.startsWith("l")));
    for (const k of [1, 50, 99, 101, 105, 109, 110]) expect(texts(k)).toEqual(sent);
    expect(got.every((g, k) => k === 0 || k === 100 || g.map((m) => m.seq).join() === sent.map((_, i) => i + 1).join())).toBe(true);
  });
}

import { expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import { nextEvent, recordEvents } from "../support/clients";
import { ack, freshTenant, sleep } from "../support/realtime";
import type { FeatureContext } from "./context";

/** Moderation: staff mute, kick and delete; students may not. */
export function moderationFeatures({ pool }: FeatureContext): void {
  it("moderation: staff mute, kick and delete; students may not", async () => {
    const t = freshTenant("mod");
    const teacher = await pool.connect(0, t, "teach", "teacher");
    const kid = await pool.connect(1, t, "kid");
    const other = await pool.connect(2, t, "other");
    for (const c of [teacher, kid, other]) await ack(c, "room:join", { room: "class" });
    expect((await ack(kid, "room:mute", { room: "class", user: "other", seconds: 60 })).error?.code).toBe(ErrorCode.Forbidden);
    const muted = nextEvent<{ room: string }>(kid, "room:muted");
    expect(await ack(teacher, "room:mute", { room: "class", user: "kid", seconds: 60 })).toMatchObject({ room: "class", user: "kid" });
    expect((await muted).room).toBe("class");
    expect((await ack(kid, "room:message", { room: "class", text: "hi" })).error?.code).toBe(ErrorCode.Muted);
    await ack(teacher, "room:unmute", { room: "class", user: "kid" });
    const sent = await ack(kid, "room:message", { room: "class", text: "sorry" });
    const deleted = nextEvent<{ id: string }>(other, "room:deleted");
    await ack(teacher, "room:delete", { room: "class", id: sent.id });
    expect((await deleted).id).toBe(sent.id);
    const kicked = nextEvent<{ room: string; by: string }>(kid, "room:kicked");
    const left = nextEvent<{ user: string; action: string }>(other, "room:member");
    expect(await ack(teacher, "room:kick", { room: "class", user: "kid" })).toEqual({ room: "class", user: "kid" });
    expect(await kicked).toEqual({ room: "class", by: "teach" });
    expect(await left).toEqual({ room: "class", user: "kid", action: "left" });
    const afterKick = recordEvents(kid, "room:message");
    await ack(other, "room:message", { room: "class", text: "without kid" });
    expect((await ack(kid, "room:join", { room: "class" })).error?.code).toBe(ErrorCode.Forbidden);
    await sleep(200);
    expect(afterKick).toEqual([]);
  });
}

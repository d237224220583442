import { expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import type { ChatMessageDelivery } from "../../core/events";
import { eventually, nextEvent } from "../support/clients";
import { ack, freshTenant } from "../support/realtime";
import type { FeatureContext } from "./context";

/** Chat: direct and group conversations across nodes, receipts, typing, unread counts, members only. */
export function chatFeatures({ pool, api }: FeatureContext): void {
  it("chat: direct and group messages across nodes, receipts, typing, unread counts, members only", async () => {
    const t = freshTenant("chat");
    const conv = (await (await api(t, "ann")).post<{ id: string }>("/v1/conversations", { kind: "direct", user: "bob" })).body.id;
    const ann = await pool.connect(0, t, "ann");
    const bob = await pool.connect(1, t, "bob");
    const eve = await pool.connect(2, t, "eve");
    const incoming = nextEvent<ChatMessageDelivery>(bob, "chat:message");
    const sent = await ack(ann, "chat:send", { conversationId: conv, text: "hi bob" });
    expect(sent).toMatchObject({ seq: 1 });
    expect(await incoming).toMatchObject({ conversationId: conv, seq: 1, user: "ann", text: "hi bob" });
    await ack(ann, "chat:send", { conversationId: conv, text: "are you there?" });
    const typing = nextEvent<{ user: string }>(ann, "chat:typing");
    await ack(bob, "chat:typing", { conversationId: conv });
    expect((await typing).user).toBe("bob");
    const receipt = nextEvent<{ user: string; kind: string; upToSeq: number }>(ann, "chat:receipt");
    expect(await ack(bob, "chat:receipt", { conversationId: conv, kind: "read", upToSeq: 1 })).toEqual({ conversationId: conv, upToSeq: 1 });
    expect(await receipt).toMatchObject({ user: "bob", kind: "read", upToSeq: 1 });
    const unread = await eventually(
      () => api(t, "bob").then((a) => a.get<{ conversations: Array<{ id: string; unread: number; lastSeq: number }> }>("/v1/conversations")),
      (r) => r.body.conversations?.[0]?.lastSeq === 2 && r.body.conversations[0].unread === 1,
    );
    expect(unread.body.conversations[0]).toMatchObject({ id: conv, unread: 1 });
    for (const [event, payload] of [
      ["chat:send", { conversationId: conv, text: "let me in" }],
      ["chat:receipt", { conversationId: conv, kind: "read", upToSeq: 2 }],
      ["chat:typing", { conversationId: conv }],
      ["chat:sync", { conversationId: conv, since: 0 }],
    ] as const) {
      expect((await ack(eve, event, payload)).error?.code).toBe(ErrorCode.NotFound);
    }
  });
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import type { RoomMessageDelivery } from "../core/events";
import { InterlinkedError, connectInterlinked, type InterlinkedClient } from "../realtime/client";
import { nextEvent } from "./support/clients";
import { mintToken, startEmbeddedDeployment, type Deployment } from "./support/nodes";

describe("typed client helper (realtime/client.ts)", () => {
  let deployment: Deployment;
  const clients: InterlinkedClient[] = [];
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment();
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await deployment.close();
  });

  it("returns typed acks and throws numbered errors", async () => {
    const url = (deployment.nodes[0] as { url: string }).url;
    const open = async (user: string) => {
      const c = connectInterlinked(url, { token: await mintToken("school-t", user), reconnection: false });
      clients.push(c);
      await new Promise((r) => c.socket.once("connect", () => r(undefined)));
      return c;
    };
    const [ann, bob] = [await open("ann"), await open("bob")];
    expect((await ann.request("room:join", { room: "typed" })).members).toEqual(["ann"]);
    await bob.request("room:join", { room: "typed" });
    const got = nextEvent<RoomMessageDelivery>(bob.socket as never, "room:message");
    const { seq } = await ann.request("room:message", { room: "typed", text: "typed hello" });
    expect(seq).toBe(1);
    expect((await got).text).toBe("typed hello");
    const err = await ann.request("room:join", { room: "bad:room" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterlinkedError);
    expect(err).toMatchObject({ code: ErrorCode.InvalidRoomName, temporary: false });
  });
});

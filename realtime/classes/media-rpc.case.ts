import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "../../core/errors";
import type { MediaRequest } from "../../core/class-signaling";
import type { MediaRpc } from "./media-rpc";

const request = (payload: Record<string, unknown> = {}): MediaRequest => ({
  op: "hand:raise",
  tenant: "school-a",
  classId: randomUUID(),
  caller: { user: "u1", staff: false, socketId: "s1" },
  payload,
});

/** `open` returns two handles on one shared transport (a media node and a realtime node). */
export function runMediaRpcContract(name: string, open: () => Promise<[MediaRpc, MediaRpc]>): void {
  describe(`MediaRpc contract: ${name}`, () => {
    it("carries a request to the node serving it and its answer back", async () => {
      const [server, client] = await open();
      const node = randomUUID();
      const stop = await server.serve(node, async (req) => ({ echo: req.payload, user: req.caller.user }));
      expect(await client.call(node, request({ n: 1 }), 2_000)).toEqual({ echo: { n: 1 }, user: "u1" });
      await stop();
      await expect(client.call(node, request(), 500)).rejects.toMatchObject({ code: ErrorCode.MediaUnavailable });
    });

    it("tells whether a node is served, without running anything on it", async () => {
      const [server, client] = await open();
      const node = randomUUID();
      expect(await client.serving(node)).toBe(false);
      let ran = 0;
      const stop = await server.serve(node, async () => ++ran);
      expect(await client.serving(node)).toBe(true);
      expect(await server.serving(node)).toBe(true);
      expect(await client.call(node, request(), 2_000)).toBe(1);
      await stop();
      expect(await client.serving(node)).toBe(false);
      expect(ran).toBe(1);
    });

    it("passes numbered errors through and hides internal ones behind 5000", async () => {
      const [server, client] = await open();
      const node = randomUUID();
      await server.serve(node, async (req) => {
        if (req.payload.kind === "app") throw new AppError(ErrorCode.NotSpeaker, "promote first");
        throw new Error("secret internals");
      });
      const appErr = await client.call(node, request({ kind: "app" }), 2_000).catch((e: unknown) => e);
      expect(appErr).toBeInstanceOf(AppError);
      expect(appErr).toMatchObject({ code: ErrorCode.NotSpeaker, message: "promote first" });
      const internal = await client.call(node, request({ kind: "boom" }), 2_000).catch((e: unknown) => e);
      expect(internal).toMatchObject({ code: ErrorCode.Internal, message: "internal error" });
    });

    it("fails a call to a node nobody serves with 5004 and a slow one with 5002 (temporary)", async () => {
      const [server, client] = await open();
      await expect(client.call(randomUUID(), request(), 1_000)).rejects.toMatchObject({ code: ErrorCode.MediaUnavailable, temporary: true });
      const node = randomUUID();
      await server.serve(node, () => new Promise((r) => setTimeout(r, 1_000)));
      await expect(client.call(node, request(), 100)).rejects.toMatchObject({ code: ErrorCode.Timeout, temporary: true });
    });
  });
}

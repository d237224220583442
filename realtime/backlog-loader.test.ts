import { describe, expect, it } from "vitest";
import type { NotificationView } from "../db/stores/notifications";
import { createLogger, type Logger } from "../core/log";
import { BacklogLoader } from "./backlog-loader";

/** A logger that keeps its error lines' messages and fields. */
function recordingLogger(): { log: Logger; errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  const log = createLogger({ nodeId: "backlog-test", level: "silent" });
  log.error = ((fields: Record<string, unknown>, msg?: string) => void errors.push({ ...fields, msg })) as Logger["error"];
  return { log, errors };
}

const item = (title: string): NotificationView => ({ id: title, feed: null, title, body: "", data: null, createdAt: "2026-01-01T00:00:00.000Z", readAt: null });

describe("BacklogLoader", () => {
  it("answers the loads of one window with one store call per tenant (chunked), each user its own backlog", async () => {
    const calls: Array<[string, string[], number]> = [];
    const loader = new BacklogLoader(
      {
        backlogs: async (tenant, users, limit) => {
          calls.push([tenant, users, limit]);
          return new Map(users.filter((u) => u !== "none").map((u) => [u, { items: [item(`${tenant}/${u}`)], unread: 1 }]));
        },
      },
      recordingLogger().log,
      50,
      5,
      2,
    );
    const got = await Promise.all([loader.load("a", "x"), loader.load("a", "y"), loader.load("b", "x"), loader.load("a", "x"), loader.load("a", "none")]);
    expect(got.map((b) => b?.items[0]?.title ?? "-")).toEqual(["a/x", "a/y", "b/x", "a/x", "-"]);
    expect(got[4]).toEqual({ items: [], unread: 0 });
    expect(calls).toEqual([["a", ["x", "y"], 50], ["a", ["none"], 50], ["b", ["x"], 50]]);
    await loader.load("a", "z");
    expect(calls).toHaveLength(4);
  });

  it("logs a failed batch once, answers each of its loads with no backlog, and serves later ones", async () => {
    let fail = true;
    const { log, errors } = recordingLogger();
    const loader = new BacklogLoader({ backlogs: async (_t, users) => (fail ? Promise.reject(new Error("db down")) : new Map(users.map((u) => [u, { items: [], unread: 0 }]))) }, log, 50);
    expect(await Promise.all([loader.load("a", "x"), loader.load("a", "y"), loader.load("a", "z")])).toEqual([undefined, undefined, undefined]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ tenant: "a", users: 3 });
    fail = false;
    await expect(loader.load("a", "x")).resolves.toEqual({ items: [], unread: 0 });
  });
});

import type { TemplatedApp } from "uWebSockets.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PublishBatch } from "./uws-publish";

/** A uWS app that records what it was asked to publish. */
function recordingApp(): { app: TemplatedApp; published: string[] } {
  const published: string[] = [];
  const app = { publish: (_topic: string, message: string) => (published.push(message), true) } as unknown as TemplatedApp;
  return { app, published };
}

describe("PublishBatch (uWS fan-out window)", () => {
  afterEach(() => vi.useRealTimers());

  it("writes at once in a large room while the node is quiet: a low-rate room pays no window latency", () => {
    const { app, published } = recordingApp();
    const batch = new PublishBatch(app, 50);
    for (let i = 0; i < 10; i++) batch.publish(app, "/\x1froom", `m${i}`, 500); // 5,000 deliveries: quiet
    expect(published).toEqual(Array.from({ length: 10 }, (_, i) => `4m${i}`));
  });

  it("opens the window under fan-out load and keeps order across it", () => {
    vi.useFakeTimers();
    const { app, published } = recordingApp();
    const batch = new PublishBatch(app, 50);
    batch.publish(app, "/\x1froom", "a", 10_000); // 10,000 recent deliveries: at once
    batch.publish(app, "/\x1froom", "b", 10_000); // 20,000 with this one: the window opens
    batch.publish(app, "/\x1froom", "c", 10_000);
    batch.publish(app, "/\x1fsmall", "d", 3); // a small room's publish waits behind the window too (order)
    expect(published).toEqual(["4a"]);
    vi.advanceTimersByTime(50);
    expect(published).toEqual(["4a", "4b", "4c", "4d"]);
  });

  it("writes everything at once when the window is off", () => {
    const { app, published } = recordingApp();
    const batch = new PublishBatch(app, 0);
    for (let i = 0; i < 5; i++) batch.publish(app, "/\x1froom", `m${i}`, 100_000);
    expect(published).toHaveLength(5);
  });
});

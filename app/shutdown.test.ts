import { describe, expect, it } from "vitest";
import { closeWithin } from "./shutdown";

describe("closeWithin (app/shutdown.ts): a stopping process exits whatever its parts do", () => {
  it("resolves closed when the close finishes", async () => {
    expect(await closeWithin(async () => undefined, 1_000)).toEqual({ closed: true });
  });

  it("resolves timed out when the close hangs past the deadline", async () => {
    const started = Date.now();
    expect(await closeWithin(() => new Promise<void>(() => undefined), 50)).toEqual({ closed: false, reason: "timed out" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("resolves failed with the error when the close rejects", async () => {
    const err = new Error("consumer did not leave its group");
    expect(await closeWithin(() => Promise.reject(err), 1_000)).toEqual({ closed: false, reason: "failed", err });
  });
});

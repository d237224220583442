import { describe, expect, it } from "vitest";
import { MemoryMediaDirectory } from "./media-directory-memory";
import { MemoryMediaRpc } from "./media-rpc-memory";
import { MediaWatch } from "./media-watch";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MediaWatch", () => {
  it("declares a node lost after consecutive failed probes: its registration goes at once, each watcher is called once", async () => {
    const rpc = new MemoryMediaRpc();
    const directory = new MemoryMediaDirectory();
    await directory.register("m1", 60_000);
    await directory.register("m2", 60_000);
    const stopM1 = await rpc.serve("m1", async () => ({}));
    await rpc.serve("m2", async () => ({}));
    const watch = new MediaWatch(rpc, directory, { intervalMs: 30, misses: 2 });
    const lost: string[] = [];
    watch.watch("m1", () => lost.push("a"));
    watch.watch("m1", () => lost.push("b"));
    const unwatchC = watch.watch("m1", () => lost.push("c"));
    watch.watch("m2", () => lost.push("m2"));
    unwatchC();
    await sleep(120);
    expect(lost).toEqual([]); // serving: nothing happens

    // find a class placed on m1, then kill m1's serving
    const onM1 = await (async () => {
      for (let i = 0; ; i++) if ((await directory.locate(`s:c${i}`)) === "m1") return `s:c${i}`;
    })();
    await stopM1();
    await sleep(300);
    expect(lost.sort()).toEqual(["a", "b"]);
    expect(watch.nodes).toEqual(["m2"]);
    expect(await directory.locate(onM1)).toBe("m2"); // moved without waiting for the registration's TTL
    watch.stop();
  });

  it("does not call a watcher for a node that comes back between probes, nor after unwatch", async () => {
    const rpc = new MemoryMediaRpc();
    const directory = new MemoryMediaDirectory();
    const watch = new MediaWatch(rpc, directory, { intervalMs: 60_000, misses: 2 });
    const lost: string[] = [];
    let stop = await rpc.serve("m1", async () => ({}));
    watch.watch("m1", () => lost.push("m1"));
    for (let i = 0; i < 4; i++) {
      await stop();
      await watch.suspect("m1"); // one missed probe
      stop = await rpc.serve("m1", async () => ({}));
      await watch.suspect("m1"); // serving again: the count starts over
    }
    expect(lost).toEqual([]);
    const off = watch.watch("m2", () => lost.push("m2"));
    await watch.suspect("m2");
    off();
    await watch.suspect("m2");
    expect(lost).toEqual([]);
    expect(watch.nodes).toEqual(["m1"]);
    watch.stop();
  });

  it("suspect probes at once: a failed request and one probe are enough with two misses", async () => {
    const rpc = new MemoryMediaRpc();
    const directory = new MemoryMediaDirectory();
    const watch = new MediaWatch(rpc, directory, { intervalMs: 60_000, misses: 2 });
    const lost: string[] = [];
    watch.watch("m1", () => lost.push("m1"));
    await watch.suspect("m1");
    expect(lost).toEqual([]);
    await watch.suspect("m1");
    expect(lost).toEqual(["m1"]);
    watch.stop();
  });
});

import { describe, expect, it } from "vitest";
import { NODE_REPORT_RETENTION_MS, type NodeReport, type NodeReports } from "./node-reports";

const report = (node: string, at: number, connections = 0): NodeReport => ({
  node,
  at,
  roles: ["realtime", "api"],
  connections,
  tenants: connections > 0 ? { "school-a": connections } : {},
  eventLoopLagMs: 1.5,
  eventLoopBusy: 0.25,
  rssBytes: 100,
  heapUsedBytes: 50,
  checks: { database: true },
  draining: false,
  overloaded: false,
});

/** `open()` returns two handles on one shared store (two processes of a cluster; one process for memory). */
export function runNodeReportsContract(name: string, open: () => Promise<[NodeReports, NodeReports]>): void {
  describe(`NodeReports contract: ${name}`, () => {
    it("lists the latest report of every node by node id, as written on any handle", async () => {
      const [a, b] = await open();
      const now = Date.now();
      await a.put(report("n1", now - 1_000, 3));
      await b.put(report("n0", now, 2));
      await a.put(report("n1", now, 4));
      expect(await b.list()).toEqual([report("n0", now, 2), report("n1", now, 4)]);
    });

    it("drops reports older than the retention, and a removed node", async () => {
      const [a, b] = await open();
      const now = Date.now();
      await a.put(report("old", now - NODE_REPORT_RETENTION_MS - 1_000));
      await a.put(report("gone", now));
      await a.put(report("kept", now));
      await b.remove("gone");
      expect((await b.list()).map((r) => r.node)).toEqual(["kept"]);
      expect((await a.list()).map((r) => r.node)).toEqual(["kept"]);
    });
  });
}

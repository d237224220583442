import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { Logger } from "../core/log";
import type { NodeReport, NodeReports } from "../core/nodes/node-reports";
import { HEARTBEAT_MS } from "../realtime/node-liveness";
import { namespacesOf } from "../realtime/socketio-internals";
import type { RealtimeServer } from "../realtime/types";

export interface NodeReporterOptions {
  nodeId: string;
  roles: string[];
  reports: NodeReports;
  /** The process's Socket.IO server, when it has the realtime role. */
  io?: RealtimeServer;
  /** Readiness checks (the same as GET /health/ready). */
  checks: Record<string, () => Promise<boolean>>;
  isDraining: () => boolean;
  overloaded: () => Promise<boolean>;
  log: Logger;
  periodMs?: number;
}

/** How long one readiness check may take before it counts as failed in a report. */
const CHECK_TIMEOUT_MS = 1_000;

async function check(run: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([run().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes this process's NodeReport every beat (HEARTBEAT_MS): connections (total and per tenant), p99
 * event-loop delay and utilization over the beat, memory, readiness checks, draining and overload.
 * Returns its stop, which also removes the report (a node that stops cleanly leaves the list at once).
 */
export function startNodeReporter(options: NodeReporterOptions): () => Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  let utilization = performance.eventLoopUtilization();
  let inflight: Promise<void> | undefined;
  let stopped = false;
  const report = (): Promise<void> => (inflight ??= write().finally(() => (inflight = undefined)));
  const write = async (): Promise<void> => {
    try {
      const tenants: Record<string, number> = {};
      let connections = 0;
      // walked in place, not copied: at 15,000 sockets the copy every beat was 8 % of an idle node's JavaScript samples
      for (const nsp of options.io ? namespacesOf(options.io) : []) {
        for (const s of nsp.sockets.values()) {
          const tenant = s.data.principal.tenant;
          tenants[tenant] = (tenants[tenant] ?? 0) + 1;
          connections++;
        }
      }
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, utilization).utilization;
      utilization = now;
      const lagMs = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
      delay.reset();
      const checks: Record<string, boolean> = {};
      for (const [name, run] of Object.entries(options.checks)) checks[name] = await check(run);
      const memory = process.memoryUsage();
      const entry: NodeReport = {
        node: options.nodeId,
        at: Date.now(),
        roles: options.roles,
        connections,
        tenants,
        eventLoopLagMs: Math.round(lagMs * 10) / 10,
        eventLoopBusy: Math.round(busy * 1000) / 1000,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        checks,
        draining: options.isDraining(),
        overloaded: await options.overloaded(),
      };
      if (!stopped) await options.reports.put(entry);
    } catch (err) {
      options.log.warn({ err }, "node report failed");
    }
  };
  void report();
  const timer = setInterval(() => void report(), options.periodMs ?? HEARTBEAT_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inflight;
    delay.disable();
    await options.reports.remove(options.nodeId).catch(() => undefined);
  };
}

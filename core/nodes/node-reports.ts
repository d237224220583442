/**
 * What each process tells the cluster about itself on every beat: its roles, its load and whether it is
 * ready. The admin console reads them (GET /v1/admin/nodes); nothing else depends on them (liveness
 * itself is node-liveness.ts's business).
 */
export interface NodeReport {
  node: string;
  /** When the process wrote it, ms since the epoch. */
  at: number;
  roles: string[];
  /** Open Socket.IO connections on the node (every namespace: `/` and `/class`), and of them per tenant. */
  connections: number;
  tenants: Record<string, number>;
  /** p99 event-loop delay over the last beat, ms, and the share of it the loop was busy (0–1). */
  eventLoopLagMs: number;
  eventLoopBusy: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** The readiness checks of the process (database, bus, redis) at the beat, and whether it is draining. */
  checks: Record<string, boolean>;
  draining: boolean;
  /** 1 while the node refuses messages with 5005 (admission control). */
  overloaded: boolean;
}

/** Reports are dropped once this old (a node gone for good leaves the list). */
export const NODE_REPORT_RETENTION_MS = 5 * 60_000;

/** The latest report of every process, cluster-wide (Redis) or of this process (memory). */
export interface NodeReports {
  put(report: NodeReport): Promise<void>;
  /** The latest report of each node seen within NODE_REPORT_RETENTION_MS, by node id. */
  list(): Promise<NodeReport[]>;
  /** Forgets a node (it stopped cleanly). */
  remove(node: string): Promise<void>;
}

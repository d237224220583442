import { Histogram, type Registry } from "prom-client";

/** The stages of one connect's server-side work that are timed (wall clock) when stage timing is on. */
export const CONNECT_STAGES = ["handshake", "jwt", "revocation", "quota", "admitted", "presence", "session_event", "backlog"] as const;
export type ConnectStage = (typeof CONNECT_STAGES)[number];

/** Records one stage's wall-clock duration, ms. */
export interface ConnectStages {
  observe(stage: ConnectStage, ms: number): void;
}

/** Name of the histogram `bench:sockets` reads from GET /metrics. */
export const CONNECT_STAGE_METRIC = "interlinked_connect_stage_seconds";

/**
 * Opt-in per-stage timing of the connect path (CONNECT_STAGE_TIMING=1, read once by the composition
 * root): one histogram, registered only then, so a node without it has no series and its connect path
 * pays one `undefined` check per stage. `handshake` is Engine.IO connection open → auth middleware start
 * (the open packet out, the client's Socket.IO CONNECT in: a round trip through both event loops);
 * `admitted` is auth middleware start → connection handler (JWT, revocation, quota and Socket.IO's own
 * steps between them).
 */
export function connectStageTiming(registry: Registry): ConnectStages {
  const seconds = new Histogram({
    name: CONNECT_STAGE_METRIC,
    help: "Wall-clock time of each stage of a socket's connect (only with CONNECT_STAGE_TIMING=1).",
    labelNames: ["stage"] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const children = new Map(CONNECT_STAGES.map((s) => [s, seconds.labels({ stage: s })]));
  return { observe: (stage, ms) => children.get(stage)?.observe(ms / 1000) };
}

/** `work`, with its duration observed as `stage` when timing is on (unchanged when off). */
export function timedStage<T>(stages: ConnectStages | undefined, stage: ConnectStage, work: () => Promise<T>): Promise<T> {
  if (!stages) return work();
  const started = performance.now();
  const done = work();
  done.then(
    () => stages.observe(stage, performance.now() - started),
    () => stages.observe(stage, performance.now() - started),
  );
  return done;
}

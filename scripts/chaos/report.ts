/** The chaos run's outputs: the JSON summary and a markdown table, one row per fault. */
import type { ChaosSummary, FaultResult } from "./run";

const codes = (c: Record<string, number> | undefined): string =>
  c && Object.keys(c).length > 0 ? Object.entries(c).map(([k, v]) => `${k}×${v}`).join(", ") : "none";
const seconds = (ms: number | null | undefined): string => (ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

function row(r: FaultResult): string {
  if (r.skipped) return `| ${r.fault} | skipped: ${r.skipped} |||||||||||`;
  if (r.error) return `| ${r.fault} | error: ${r.error.replace(/\|/g, "/").slice(0, 200)} |||||||||||`;
  const inv = r.invariants;
  const own = r.dropToBackMs ? `; each from its drop: p50 ${seconds(r.dropToBackMs.p50)}, p99 ${seconds(r.dropToBackMs.p99)}, max ${seconds(r.dropToBackMs.max)}` : "";
  const reconnect = r.clientsDropped === 0 ? "none dropped" : `${r.reconnect100Ms === null ? `${r.clientsBack}/${r.clientsDropped} back` : seconds(r.reconnect100Ms)} (${r.clientsDropped} dropped${own})`;
  const ready = r.targetReadiness?.notReadyAfterMs === null ? "200 throughout" : `not ready +${seconds(r.targetReadiness?.notReadyAfterMs)}, ready +${seconds(r.targetReadiness?.readyAgainAfterMs)}`;
  return [
    "",
    r.fault,
    reconnect,
    `${r.recovered}/${(r.recovered ?? 0) + (r.notRecovered ?? 0)}`,
    `${inv?.ackedLost ?? "?"} of ${inv?.acked ?? "?"}`,
    `${inv?.duplicates ?? "?"}`,
    `${inv?.orderViolations ?? "?"} / ${inv?.seqMismatch ?? "?"} / ${inv?.seqHoles ?? "?"}`,
    `${seconds(r.presenceWrongMs)} (${r.presenceWrongSamples})`,
    codes(r.refusedDuringFault),
    codes(r.failedSends),
    `${r.crossNodeGapMs === undefined ? "no probe" : seconds(r.crossNodeGapMs)}${r.crossNode ? ` (no ack ${seconds(r.crossNode.longestAckGapMs)}; acked → delivered ≥ 1 s until +${seconds(r.crossNode.deliveryBackAfterMs)})` : ""} / ${seconds(r.maxRoomDelayMs)} (${r.roomDelaysOver10s} > 10 s)`,
    ready,
    `${r.ackedPerSecond}/s${r.ackRates ? ` (before ${r.ackRates.before}, during ${r.ackRates.during}, after ${r.ackRates.after})` : ""}, catch-up ${seconds(inv?.catchUpMs)}, load ${r.loadAverage}`,
    "",
  ].join(" | ").trim();
}

export function markdownReport(s: ChaosSummary): string {
  const o = s.options;
  return [
    `Chaos run ${s.startedAt}: ${s.clientsConnected}/${o.clients} clients in ${o.processes} processes, ${o.rate} keyed msgs/s (${Math.round(o.chatShare * 100)} % chat), rooms of ${o.roomSize}, ${o.nodes} realtime nodes, ${o.workers} worker(s), Redis ${o.redis === "own" ? "Cluster 3+3" : "from env"}, Kafka ${o.kafka === "own" ? "3 brokers RF 3 / min.insync 2" : "from env"}, PostgreSQL ${o.postgres === "own" ? "own" : "from env"}${o.clientNice ? `; client processes at nice ${o.clientNice}` : ""}${o.nodeNice ? `; realtime nodes at nice ${o.nodeNice}` : ""}; ${s.machine}.`,
    "",
    "| fault | 100 % reconnected + rejoined (from the fault) | recovered | acked lost | duplicates | order / seq≠ack / seq holes | presence wrong (samples) | refused during fault (codes) | sends failed for good | cross-node gap / longest room message sent → delivered | target readiness | throughput, catch-up, load |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...s.results.map(row),
    "",
  ].join("\n");
}

import type { Metrics } from "../core/metrics/registry";
import type { SequenceStore } from "./sequence/sequence-store";
import type { HistoryStore } from "./state/history-store";

/** At most this many messages are replayed on a rejoin; a longer gap answers `recovered: false`. */
const MAX_RECOVERY = 300;

/**
 * The messages of a stream after `since`, in order, with `recovered: true` only when they are exactly
 * since+1 … current: recent ones from the bounded history (Redis), older ones from the database, merged
 * by seq. Anything short of that (a gap, more than MAX_RECOVERY) is `recovered: false` with what was found.
 */
export async function recover<T extends { seq: number }>(
  deps: { sequences: SequenceStore; history: HistoryStore; metrics: Metrics },
  kind: "room" | "chat",
  stream: string,
  since: number,
  fromDatabase: (afterSeq: number, limit: number) => Promise<T[]>,
): Promise<{ recovered: boolean; messages: T[] }> {
  const current = await deps.sequences.current(stream);
  if (since >= current) {
    deps.metrics.recovery.inc({ kind, result: "hit" });
    return { recovered: true, messages: [] };
  }
  const wanted = current - since;
  const bySeq = new Map<number, T>();
  for (const e of await deps.history.since(stream, since, MAX_RECOVERY)) bySeq.set(e.seq, JSON.parse(e.payload) as T);
  const complete = (): boolean => {
    for (let s = since + 1; s <= Math.min(current, since + MAX_RECOVERY); s++) if (!bySeq.has(s)) return false;
    return true;
  };
  if (!complete()) for (const m of await fromDatabase(since, MAX_RECOVERY)) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
  const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(0, MAX_RECOVERY);
  const recovered = wanted <= MAX_RECOVERY && complete();
  deps.metrics.recovery.inc({ kind, result: recovered ? "hit" : "miss" });
  return { recovered, messages };
}

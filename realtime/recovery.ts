import type { Metrics } from "../core/metrics/registry";
import type { SequenceStore } from "./sequence/sequence-store";
import type { HistoryStore } from "./state/history-store";

/** At most this many messages are replayed on a rejoin; a longer gap answers `recovered: false`. */
const MAX_RECOVERY = 300;

/**
 * How long a reserved seq (handed out, its message not yet in the history) counts as on its way: the
 * longest a publish waits for the bus (core/bus publishTimeoutMs, 30 s). An older reservation is a seq
 * whose publish failed or whose node died: the database may have it (the bus took it before the node
 * died), or nobody (then only the sender's keyed resend can still bring it).
 */
export const IN_FLIGHT_MS = 30_000;

/** What a recovery answers: the messages after `since` and the seqs among them still on their way. */
export interface Recovery<T> {
  recovered: boolean;
  messages: T[];
  /**
   * The stream's last seq when the recovery read it: what `recovered` speaks for. A seq above it was handed
   * out after the read; it comes live (a client seeing a hole above it has not lost anything yet).
   */
  seq: number;
  /** Seqs handed out but not yet published (delivered live once they are); counted as recovered. */
  pending: number[];
}

/**
 * The messages of a stream after `since`, in order, with `recovered: true` only when they are exactly
 * since+1 … `seq`, or on their way (`pending`: reserved in the history less than IN_FLIGHT_MS ago; the
 * caller has joined the live stream first, so they reach it live): recent ones from the bounded history
 * (Redis), older ones from the database, merged by seq. Anything short of that (a hole, more than
 * MAX_RECOVERY) is `recovered: false` with what was found. A seq on its way is never looked for in the
 * database (the worker cannot have stored it before it was published).
 *
 * `seq` is the stream's current seq when read: what the answer speaks for. A seq is reserved by its node
 * once the counter has given it out, so for as long as that node's loop lags, another node can read the
 * counter past a seq whose reservation has not landed: found nowhere, not vouched for, yet on its way.
 */
export async function recover<T extends { seq: number }>(
  deps: { sequences: SequenceStore; history: HistoryStore; metrics: Metrics },
  kind: "room" | "chat",
  stream: string,
  since: number,
  fromDatabase: (afterSeq: number, limit: number) => Promise<T[]>,
  now: () => number = Date.now,
): Promise<Recovery<T>> {
  const current = await deps.sequences.current(stream);
  if (since >= current) {
    deps.metrics.recovery.inc({ kind, result: "hit" });
    return { recovered: true, messages: [], pending: [], seq: current };
  }
  const wanted = current - since;
  const bySeq = new Map<number, T>();
  const onItsWay = new Set<number>();
  for (const e of await deps.history.since(stream, since, MAX_RECOVERY)) {
    if ("payload" in e) bySeq.set(e.seq, JSON.parse(e.payload) as T);
    else if (now() - e.reservedAt < IN_FLIGHT_MS) onItsWay.add(e.seq);
  }
  const complete = (): boolean => {
    for (let s = since + 1; s <= Math.min(current, since + MAX_RECOVERY); s++) if (!bySeq.has(s) && !onItsWay.has(s)) return false;
    return true;
  };
  if (!complete()) for (const m of await fromDatabase(since, MAX_RECOVERY)) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
  const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(0, MAX_RECOVERY);
  const recovered = wanted <= MAX_RECOVERY && complete();
  deps.metrics.recovery.inc({ kind, result: recovered ? "hit" : "miss" });
  return { recovered, messages, pending: [...onItsWay].filter((s) => !bySeq.has(s)).sort((a, b) => a - b), seq: current };
}

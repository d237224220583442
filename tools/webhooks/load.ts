import { newEvent, publishEvents } from "../../core/contracts/streams";
import type { EventBus } from "../../core/bus/event-bus";
import { verifyWebhook } from "../../core/webhooks/signature";
import type { Received } from "./receiver";

/**
 * The webhook acceptance load (tests/webhooks-acceptance.int.test.ts at a reduced size, and
 * scripts/bench/webhooks.ts at full size): room messages of `keys` rooms published at a steady rate,
 * and what each receiver got, checked.
 */
export interface LoadEvent {
  id: string;
  room: string;
  seq: number;
}

/** Publishes `count` room messages over `keys` rooms at `perSecond`, in batches of 50; resolves with them, in order. */
export async function publishRoomLoad(bus: EventBus, tenant: string, options: { count: number; keys: number; perSecond: number; onProgress?: (published: number) => void }): Promise<LoadEvent[]> {
  const out: LoadEvent[] = [];
  const seqs = new Map<string, number>();
  const batch = 50;
  const started = Date.now();
  for (let i = 0; i < options.count; i += batch) {
    const events = [];
    for (let j = i; j < Math.min(options.count, i + batch); j++) {
      const room = `room-${j % options.keys}`;
      const seq = (seqs.get(room) ?? 0) + 1;
      seqs.set(room, seq);
      const ev = newEvent("room.message.created", tenant, { room, seq, user: "loader", text: `m${j}` });
      events.push(ev);
      out.push({ id: ev.id, room, seq });
    }
    await publishEvents(bus, "roomMessages", events);
    options.onProgress?.(out.length);
    const due = started + (out.length / options.perSecond) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  return out;
}

export interface ReceiverReport {
  /** Distinct events answered 2xx. */
  delivered: number;
  missing: number;
  /** Requests beyond the first 2xx of an event (at-least-once repeats). */
  duplicates: number;
  badSignatures: number;
  /** Keys whose events first arrived out of sequence. */
  orderViolations: string[];
  /** Receive time − event time of each event's first 2xx, ms, sorted. */
  latencies: number[];
}

export const percentile = (sorted: number[], p: number): number => (sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number));

/** What a receiver got of the published events: delivered, missing, repeats, signatures, per-key order and latency. */
export function checkReceived(received: Received[], events: LoadEvent[], secret: string, since?: { from: number; to: number }): ReceiverReport {
  const first = new Map<string, Received>();
  let duplicates = 0;
  let badSignatures = 0;
  const lastSeq = new Map<string, number>();
  const orderViolations = new Set<string>();
  for (const r of received) {
    // checked when received: the signature's timestamp is the attempt's
    if (!verifyWebhook(secret, String(r.headers["interlinked-signature"]), r.body, Math.floor(r.at / 1000))) badSignatures++;
    if (r.status >= 300) continue;
    const ev = JSON.parse(r.body) as { id: string; data: { room: string; seq: number } };
    if (first.has(ev.id)) {
      duplicates++;
      continue;
    }
    first.set(ev.id, r);
    const prev = lastSeq.get(ev.data.room) ?? 0;
    if (ev.data.seq !== prev + 1) orderViolations.add(`${ev.data.room}: ${prev} then ${ev.data.seq}`);
    lastSeq.set(ev.data.room, Math.max(prev, ev.data.seq));
  }
  const latencies: number[] = [];
  let missing = 0;
  for (const ev of events) {
    const got = first.get(ev.id);
    if (!got) {
      missing++;
      continue;
    }
    const body = JSON.parse(got.body) as { createdAt: string };
    const createdAt = Date.parse(body.createdAt);
    if (!since || (createdAt >= since.from && createdAt < since.to)) latencies.push(got.at - createdAt);
  }
  latencies.sort((a, b) => a - b);
  return { delivered: first.size, missing, duplicates, badSignatures, orderViolations: [...orderViolations], latencies };
}

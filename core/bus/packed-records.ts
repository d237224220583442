import type { BusRecord } from "./event-bus";

/**
 * Packed records: one bus record whose value is a JSON array of several events of one stream that
 * share the record's key, so a burst of small events (a connect storm's session events) costs the
 * broker and the producer one record per key and flush instead of one per event.
 *
 * Format: a record's value is either the JSON text of one event (what every producer wrote before) or
 * a JSON array of event objects, in the order they were added. Consumers decode both shapes through
 * `eventsOfValue` (workers/parse-records.ts) and validate each element on its own, so a packed record
 * is seen downstream exactly as its events published one by one under the same key.
 *
 * Guarantees of `packRecords`:
 * - records of one key keep their relative order (packed in order, packs in order); records of
 *   different keys were never ordered against each other (different partitions);
 * - a pack holds at most `PACKED_RECORD_MAX_EVENTS` events and its value at most
 *   `PACKED_RECORD_MAX_BYTES` bytes (well under Kafka's default 1 MB `max.message.bytes` and the
 *   partition sender's 512 KB request cap), except a single record larger than the cap, which is
 *   left as it was;
 * - a pack of one record is that record unchanged (same value shape as before packing);
 * - trace headers: a pack keeps the headers of its FIRST record (the oldest `add` of the flush),
 *   so the consumer's span continues that record's trace; the other records' trace contexts are
 *   dropped (their events still arrive, only their link to the producing span is lost).
 *
 * Only records whose values are each the JSON text of one event object may be packed (the values are
 * joined as they are, not re-encoded).
 */
export const PACKED_RECORD_MAX_BYTES = 256 * 1024;
export const PACKED_RECORD_MAX_EVENTS = 1_000;

/** Packs records of the same key into as few records as the caps allow (see the module comment). */
export function packRecords(records: readonly BusRecord[], maxBytes = PACKED_RECORD_MAX_BYTES, maxEvents = PACKED_RECORD_MAX_EVENTS): BusRecord[] {
  const byKey = new Map<string, BusRecord[]>();
  for (const record of records) {
    const list = byKey.get(record.key);
    if (list) list.push(record);
    else byKey.set(record.key, [record]);
  }
  const packed: BusRecord[] = [];
  for (const list of byKey.values()) {
    let chunk: BusRecord[] = [];
    let bytes = 2; // the brackets
    for (const record of list) {
      const size = Buffer.byteLength(record.value) + 1; // its comma
      if (chunk.length > 0 && (chunk.length >= maxEvents || bytes + size > maxBytes)) {
        packed.push(packOf(chunk));
        chunk = [];
        bytes = 2;
      }
      chunk.push(record);
      bytes += size;
    }
    if (chunk.length > 0) packed.push(packOf(chunk));
  }
  return packed;
}

function packOf(chunk: BusRecord[]): BusRecord {
  const first = chunk[0] as BusRecord;
  if (chunk.length === 1) return first;
  const value = `[${chunk.map((r) => r.value).join(",")}]`;
  return first.headers ? { key: first.key, value, headers: first.headers } : { key: first.key, value };
}

/**
 * The events a decoded record value carries: the elements of a packed record (an array), or the value
 * itself (one event). Each is still to be validated on its own.
 */
export function eventsOfValue(json: unknown): { packed: boolean; events: unknown[] } {
  return Array.isArray(json) ? { packed: true, events: json as unknown[] } : { packed: false, events: [json] };
}

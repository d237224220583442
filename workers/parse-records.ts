import type { BusRecord } from "../core/bus/event-bus";
import { eventsOfValue } from "../core/bus/packed-records";
import { streams, type StreamEvent, type StreamName } from "../core/contracts/streams";

export interface ParsedRecords<S extends StreamName> {
  valid: Array<{ record: BusRecord; event: StreamEvent<S> }>;
  invalid: Array<{ record: BusRecord; reason: string }>;
}

/**
 * Parses and validates bus records of a stream; what fails is returned with the reason. This is where
 * workers decode bus records into events: a record holds one event or is a packed record (a JSON array
 * of events sharing its key, core/bus/packed-records.ts). Each element of a packed record is validated
 * and returned on its own, in order, with a record of its own (the packed record's key and headers,
 * the element's JSON as its value): an invalid element is reported alone (and dead-lettered alone by
 * the persister, so a replay of it carries only that event), the valid ones are processed. Downstream
 * sees the same events, in the same order, whichever shape carried them.
 */
export function parseRecords<S extends StreamName>(stream: S, records: BusRecord[]): ParsedRecords<S> {
  const result: ParsedRecords<S> = { valid: [], invalid: [] };
  const schema = streams[stream].schema;
  for (const record of records) {
    let json: unknown;
    try {
      json = JSON.parse(record.value);
    } catch {
      result.invalid.push({ record, reason: "not JSON" });
      continue;
    }
    const { packed, events } = eventsOfValue(json);
    if (packed && events.length === 0) result.invalid.push({ record, reason: "invalid event: event: empty packed record" });
    for (const element of events) {
      const own = packed ? elementRecord(record, element) : record;
      const parsed = schema.safeParse(element);
      if (parsed.success) result.valid.push({ record: own, event: parsed.data as StreamEvent<S> });
      else {
        const issue = parsed.error.issues[0];
        result.invalid.push({ record: own, reason: `invalid event: ${issue?.path.join(".") || "event"}: ${issue?.message ?? "?"}` });
      }
    }
  }
  return result;
}

/** The record one element of a packed record would have had if published alone. */
function elementRecord(packed: BusRecord, element: unknown): BusRecord {
  const value = JSON.stringify(element);
  return packed.headers ? { key: packed.key, value, headers: packed.headers } : { key: packed.key, value };
}

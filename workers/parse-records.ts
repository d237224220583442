import type { BusRecord } from "../core/bus/event-bus";
import { streams, type StreamEvent, type StreamName } from "../core/contracts/streams";

export interface ParsedRecords<S extends StreamName> {
  valid: Array<{ record: BusRecord; event: StreamEvent<S> }>;
  invalid: Array<{ record: BusRecord; reason: string }>;
}

/** Parses and validates bus records of a stream; what fails is returned with the reason. */
export function parseRecords<S extends StreamName>(stream: S, records: BusRecord[]): ParsedRecords<S> {
  const result: ParsedRecords<S> = { valid: [], invalid: [] };
  for (const record of records) {
    let json: unknown;
    try {
      json = JSON.parse(record.value);
    } catch {
      result.invalid.push({ record, reason: "not JSON" });
      continue;
    }
    const parsed = streams[stream].schema.safeParse(json);
    if (parsed.success) result.valid.push({ record, event: parsed.data as StreamEvent<S> });
    else {
      const issue = parsed.error.issues[0];
      result.invalid.push({ record, reason: `invalid event: ${issue?.path.join(".") || "event"}: ${issue?.message ?? "?"}` });
    }
  }
  return result;
}

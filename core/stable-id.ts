import { createHash } from "node:crypto";

/**
 * A UUID (version-5 layout) derived from a key: the same key always gives the same id, so an event
 * produced twice from the same fact (a retried publish, a replayed record) is stored and delivered once.
 */
export function stableUuid(key: string): string {
  const b = createHash("sha256").update(key).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

import { z } from "zod";
import { tenantIdSchema } from "../tenancy";
import { storableDateTime } from "../storable";

/**
 * Every event on the bus: `{ v, type, id, tenant, at, data }`. `id` is the idempotency key (a replay or
 * duplicate delivery of the same id leaves one row); `v` versions the `data` shape of a `type`.
 */
export function eventSchema<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({
    v: z.literal(1),
    type: z.literal(type),
    id: z.string().uuid(),
    tenant: tenantIdSchema,
    at: storableDateTime(),
    data,
  });
}

export interface EventEnvelope<T extends string = string, D = unknown> {
  v: 1;
  type: T;
  id: string;
  tenant: string;
  at: string;
  data: D;
}

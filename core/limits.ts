/**
 * Fixed bounds of every surface, in one place (per-school quotas, which a school may override, live in
 * db/stores/tenants.ts; node settings in core/config.ts). Each is enforced on both engines and every
 * namespace, with the numbered error named here (docs/PROTOCOL.md "Limits").
 */

/** The largest token accepted anywhere (handshake, REST, auth:refresh); larger → 2001, unparsed. */
export const MAX_TOKEN_BYTES = 8_192;

/** Users one socket may watch with presence:subscribe at once; past it → 1007. */
export const MAX_PRESENCE_SUBSCRIPTIONS = 1_000;

/** The largest REST request body; larger → 1003 (413), read no further. */
export const MAX_REST_BODY_BYTES = 256 * 1024;

/**
 * Token revocation per user: "tokens of (tenant, user) issued before T are refused" (Centrifugo's token
 * revocation is the model). The REST route `POST /v1/tenants/{tenant}/users/{user}/revoke` writes it;
 * every token check reads it (handshakes of `/` and `/class`, REST bearer auth, `auth:refresh`).
 *
 * Guarantees:
 * - Shared: a moment recorded through one handle is read through every handle on the same store (all
 *   nodes of a deployment), as soon as `revoke` resolved.
 * - Monotonic: a user's moment only moves forward; revoking with an earlier moment keeps the later one.
 * - Scoped: a (tenant, user) pair is independent of every other (the same user id in another school too).
 * - Kept at least `retentionMs` after the moment (the longest a token issued before it may live; 24 h
 *   default, `AUTH_REVOCATION_RETENTION`), then forgotten: a token issued before it has expired by then.
 */
export interface RevocationStore {
  /** Records that tokens issued before `before` (ms since the epoch) are revoked; resolves with the moment now in force. */
  revoke(tenant: string, user: string, before: number): Promise<number>;
  /** The moment in force for the user (ms since the epoch), or undefined when none is. */
  revokedBefore(tenant: string, user: string): Promise<number | undefined>;
}

/** Default retention of a revocation: 24 h, the longest token lifetime the deployment is expected to accept. */
export const DEFAULT_REVOCATION_RETENTION_MS = 24 * 60 * 60 * 1000;

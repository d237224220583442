import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** What a server API key may do; each /v1/server route needs one. */
export const API_KEY_SCOPES = ["publish", "notify", "disconnect", "presence:read", "connections:read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A key as the caller presents it: `ilk_<id>_<secret>` (id: 16 hex digits; secret: 32 random bytes, base64url). */
const KEY_PATTERN = /^ilk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key: its public id, its secret, the text handed to the caller once, and the hash that is stored. */
export function newApiKey(): { id: string; secret: string; key: string; hash: string } {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { id, secret, key: `ilk_${id}_${secret}`, hash: hashApiKeySecret(secret) };
}

/** A new secret for an existing id (rotation). */
export function rotatedApiKey(id: string): { secret: string; key: string; hash: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, key: `ilk_${id}_${secret}`, hash: hashApiKeySecret(secret) };
}

/**
 * SHA-256 of the secret, hex. A plain (unsalted, fast) hash is enough here: the secret is 256 random
 * bits, so there is no dictionary to try and brute force is out of reach; slow password hashes (bcrypt,
 * scrypt) protect low-entropy human passwords and would only cost every API call time.
 */
export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Splits a presented key, or undefined when it is not of the key format. */
export function parseApiKey(text: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(text);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKeySecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

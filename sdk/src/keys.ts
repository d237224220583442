/**
 * A fresh idempotency key for a message (`key` of room:message / chat:send): 32 hex digits from the
 * platform's cryptographic random source (`crypto.getRandomValues`, available in browsers — also on
 * plain http pages, unlike `randomUUID` — and in Node 20). Well within the protocol's 64 characters.
 */
export function newMessageKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `sdk-${hex}`;
}

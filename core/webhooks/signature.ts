import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The request header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "interlinked-signature";
/** How far a signature's timestamp may be from the receiver's clock before it is refused (replays). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: `whsec_` + 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** The signature header value of `body` sent at `timestampSeconds` with `secret`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * Whether `header` is a valid signature of `body` (the raw request body, as received) with `secret`,
 * made within `toleranceSeconds` of `nowSeconds`. The same check as the snippet of docs/WEBHOOKS.md.
 */
export function verifyWebhook(secret: string, header: string, body: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): boolean {
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  const given = Buffer.from(v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

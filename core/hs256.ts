import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";

/** Why an HS256 token was refused: `expired` (exp passed) or `invalid` (anything else). */
export class Hs256Refusal extends Error {
  constructor(
    readonly reason: "expired" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new Hs256Refusal("invalid", `${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Hs256Refusal("invalid", `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new Hs256Refusal("invalid", `"${claim}" claim must be a number`);
  return value;
}

/**
 * A synchronous verifier of compact HS256 JWS tokens with node:crypto (HMAC-SHA256 and a constant-time
 * compare), for the connect path: jose verifies through WebCrypto, an asynchronous job per token that
 * costs ~0.25 ms of CPU — the largest single item of a connect. It checks what jose's `jwtVerify` checks
 * with the options TokenService gives it (algorithm pinned to HS256, `iss` and `aud` equal to the expected
 * ones and present, `exp` and `sub` present (their types are TokenService's schema's to check), `exp` > now, `nbf` ≤ now, numeric dates numbers, no clock
 * tolerance), and is stricter on one point: any `crit` header is refused. Returns the claims set.
 */
export class Hs256Verifier {
  private readonly key: KeyObject;

  constructor(
    secret: Uint8Array,
    private readonly expect: { issuer: string; audience: string },
  ) {
    this.key = createSecretKey(secret);
  }

  /** The token's protected header `alg`, or undefined when the token is not a well-formed compact JWS. */
  static algorithmOf(token: string): string | undefined {
    const dot = token.indexOf(".");
    if (dot <= 0 || !BASE64URL.test(token.slice(0, dot))) return undefined;
    try {
      const alg = (JSON.parse(Buffer.from(token.slice(0, dot), "base64url").toString("utf8")) as { alg?: unknown } | null)?.alg;
      return typeof alg === "string" ? alg : undefined;
    } catch {
      return undefined;
    }
  }

  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Hs256Refusal("invalid", "not a compact JWS");
    const [h, p, s] = parts as [string, string, string];
    if (!BASE64URL.test(h) || !BASE64URL.test(p) || !BASE64URL.test(s) || h.length === 0 || s.length === 0) throw new Hs256Refusal("invalid", "malformed JWS");
    const header = decodeJson(h, "header");
    if (header.alg !== "HS256") throw new Hs256Refusal("invalid", `alg ${String(header.alg)} not allowed`);
    if (header.crit !== undefined) throw new Hs256Refusal("invalid", "crit header parameters are not supported");
    const expected = createHmac("sha256", this.key).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Hs256Refusal("invalid", "signature verification failed");
    const claims = decodeJson(p, "claims set");
    for (const claim of ["iss", "aud", "exp", "sub"]) if (claims[claim] === undefined) throw new Hs256Refusal("invalid", `missing required "${claim}" claim`);
    if (claims.iss !== this.expect.issuer) throw new Hs256Refusal("invalid", 'unexpected "iss" claim value');
    const aud = claims.aud;
    if (!(aud === this.expect.audience || (Array.isArray(aud) && aud.includes(this.expect.audience)))) throw new Hs256Refusal("invalid", 'unexpected "aud" claim value');
    numericDate(claims, "iat");
    const nbf = numericDate(claims, "nbf");
    if (nbf !== undefined && nbf > nowSeconds) throw new Hs256Refusal("invalid", '"nbf" claim timestamp check failed');
    const exp = numericDate(claims, "exp");
    if (exp !== undefined && exp <= nowSeconds) throw new Hs256Refusal("expired", '"exp" claim timestamp check failed');
    return claims;
  }
}

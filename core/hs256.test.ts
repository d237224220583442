import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { Hs256Refusal, Hs256Verifier } from "./hs256";

const secret = new TextEncoder().encode("unit-test-secret-that-is-32-bytes-long!");
const expect_ = { issuer: "interlinked", audience: "interlinked" };
const now = Math.floor(Date.now() / 1000);
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");

type Claims = Record<string, unknown>;
const good: Claims = { sub: "alice", tenant: "school-a", role: "student", iss: "interlinked", aud: "interlinked", exp: now + 60, iat: now };
const sign = (claims: Claims, header: Record<string, unknown> = { alg: "HS256" }, key = secret): Promise<string> => new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);

/** jose's verdict with the options TokenService gives it: "ok", "expired" or "invalid". */
async function jose(token: string): Promise<string> {
  try {
    await jwtVerify(token, secret, { algorithms: ["HS256"], ...expect_, requiredClaims: ["exp", "sub"] });
    return "ok";
  } catch (err) {
    return err instanceof joseErrors.JWTExpired ? "expired" : "invalid";
  }
}
function ours(token: string): string {
  try {
    new Hs256Verifier(secret, expect_).verify(token);
    return "ok";
  } catch (err) {
    if (!(err instanceof Hs256Refusal)) throw err;
    return err.reason;
  }
}

describe("Hs256Verifier", () => {
  it("reaches jose's verdict on valid, expired, not-yet-valid, forged and malformed tokens", async () => {
    const tokens: Record<string, string> = {
      valid: await sign(good),
      "aud array": await sign({ ...good, aud: ["x", "interlinked"] }),
      "typ header": await sign(good, { alg: "HS256", typ: "JWT" }),
      expired: await sign({ ...good, exp: now - 1 }),
      "exp now": await sign({ ...good, exp: now }),
      "nbf future": await sign({ ...good, nbf: now + 30 }),
      "nbf past": await sign({ ...good, nbf: now - 30 }),
      "wrong secret": await sign(good, undefined, new TextEncoder().encode("another-secret-that-is-32-bytes-long!!")),
      "wrong iss": await sign({ ...good, iss: "evil" }),
      "wrong aud": await sign({ ...good, aud: "other" }),
      "no sub": await sign({ ...good, sub: undefined }),
      "no exp": await sign({ ...good, exp: undefined }),
      "no iss": await sign({ ...good, iss: undefined }),
      "string exp": await sign({ ...good, exp: String(now + 60) }),
      "string iat": await sign({ ...good, iat: "x" }),
      "numeric sub": await sign({ ...good, sub: 7 }),
      unsigned: `${b64({ alg: "none" })}.${b64(good)}.`,
      "alg swapped after signing": await sign(good).then((t) => `${b64({ alg: "HS512" })}.${t.split(".").slice(1).join(".")}`),
      "payload swapped after signing": await sign(good).then((t) => { const [h, , s] = t.split("."); return `${h}.${b64({ ...good, sub: "mallory" })}.${s}`; }),
      "bad base64": await sign(good).then((t) => t.replace(".", ".*")),
      "two parts": await sign(good).then((t) => t.split(".").slice(0, 2).join(".")),
      "array claims": await sign(good).then(() => `${b64({ alg: "HS256" })}.${b64([1])}.x`),
    };
    for (const [name, token] of Object.entries(tokens)) expect({ name, verdict: ours(token) }).toEqual({ name, verdict: await jose(token) });
    expect(ours(tokens.valid!)).toBe("ok");
    expect(ours(tokens.expired!)).toBe("expired");
  });

  it("refuses crit headers (stricter than jose, which understands b64)", async () => {
    expect(ours(await sign(good, { alg: "HS256", crit: ["b64"], b64: true }))).toBe("invalid");
  });

  it("returns the claims set and reads the algorithm of a compact token", async () => {
    const token = await sign(good);
    expect(new Hs256Verifier(secret, expect_).verify(token)).toMatchObject({ sub: "alice", tenant: "school-a" });
    expect(Hs256Verifier.algorithmOf(token)).toBe("HS256");
    expect(Hs256Verifier.algorithmOf("garbage")).toBeUndefined();
    expect(Hs256Verifier.algorithmOf(`${b64({ alg: "RS256" })}.x.y`)).toBe("RS256");
  });
});

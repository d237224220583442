import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { IAT_LEEWAY_SECONDS, TokenService, type AuthOptions } from "./auth";
import { MAX_TOKEN_BYTES } from "./limits";
import { ErrorCode } from "./errors";

const base: AuthOptions = { secret: "unit-test-secret-that-is-32-bytes-long!", issuer: "interlinked", audience: "interlinked", tokenTtlSeconds: 60 };
const claims = { tenant: "school-a", role: "teacher" };

async function signed(alg: "RS256" | "ES256", key: Parameters<SignJWT["sign"]>[0], over: Partial<{ iss: string; aud: string; exp: number; kid: string }> = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid: over.kid ?? "k1" })
    .setSubject("alice")
    .setIssuer(over.iss ?? "interlinked")
    .setAudience(over.aud ?? "interlinked")
    .setExpirationTime(over.exp ?? Math.floor(Date.now() / 1000) + 60)
    .sign(key);
}

describe("TokenService", () => {
  it("refuses a token issued in the future (beyond the leeway) and one over MAX_TOKEN_BYTES, with 2001", async () => {
    const tokens = new TokenService(base);
    const now = Math.floor(Date.now() / 1000);
    const issued = (iat: number) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("alice").setIssuer("interlinked").setAudience("interlinked").setIssuedAt(iat).setExpirationTime(now + 3_600).sign(new TextEncoder().encode(base.secret));
    await expect(tokens.verify(await issued(now + IAT_LEEWAY_SECONDS + 600))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    expect(await tokens.verify(await issued(now + 5))).toMatchObject({ user: "alice" }); // clock skew within the leeway
    const huge = await new SignJWT({ ...claims, pad: "x".repeat(MAX_TOKEN_BYTES) }).setProtectedHeader({ alg: "HS256" }).setSubject("alice").setIssuer("interlinked").setAudience("interlinked").setExpirationTime(now + 60).sign(new TextEncoder().encode(base.secret));
    await expect(tokens.verify(huge)).rejects.toMatchObject({ code: ErrorCode.TokenInvalid, message: expect.stringContaining("bytes") });
  });

  it("verifies its own HS256 tokens and refuses expired, forged and unsigned ones with codes", async () => {
    const tokens = new TokenService(base);
    expect(await tokens.verify(await tokens.sign({ tenant: "school-a", user: "alice", role: "student" }))).toMatchObject({ user: "alice", tenant: "school-a", role: "student" });
    await expect(tokens.verify(await tokens.sign({ tenant: "school-a", user: "a", role: "student", ttlSeconds: -5 }))).rejects.toMatchObject({ code: ErrorCode.TokenExpired });
    const other = new TokenService({ ...base, secret: "another-secret-that-is-32-bytes-long!!" });
    await expect(tokens.verify(await other.sign({ tenant: "school-a", user: "a", role: "student" }))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ ...claims, sub: "a", iss: "interlinked", aud: "interlinked", exp: 9e9 })).toString("base64url")}.`;
    await expect(tokens.verify(unsigned)).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    await expect(tokens.verify(undefined)).rejects.toMatchObject({ code: ErrorCode.Unauthorized });
  });

  it("accepts RS256 and ES256 from a JWKS, checks iss and aud, and refuses them without one", async () => {
    const rsa = await generateKeyPair("RS256");
    const ec = await generateKeyPair("ES256");
    const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256" }, { ...(await exportJWK(ec.publicKey)), kid: "k2", alg: "ES256" }] };
    const tokens = new TokenService({ ...base, jwks });
    expect(await tokens.verify(await signed("RS256", rsa.privateKey))).toMatchObject({ user: "alice", role: "teacher" });
    expect(await tokens.verify(await signed("ES256", ec.privateKey, { kid: "k2" }))).toMatchObject({ user: "alice" });
    await expect(tokens.verify(await signed("RS256", rsa.privateKey, { iss: "evil" }))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    await expect(tokens.verify(await signed("RS256", rsa.privateKey, { aud: "other" }))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    const stranger = await generateKeyPair("RS256");
    await expect(tokens.verify(await signed("RS256", stranger.privateKey))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
    await expect(new TokenService(base).verify(await signed("RS256", rsa.privateKey))).rejects.toMatchObject({ code: ErrorCode.TokenInvalid });
  });

  it("fetches keys from a JWKS URL", async () => {
    const rsa = await generateKeyPair("RS256");
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256" }] });
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
      const tokens = new TokenService({ ...base, jwks: url });
      expect(await tokens.verify(await signed("RS256", rsa.privateKey))).toMatchObject({ tenant: "school-a" });
    } finally {
      server.close();
    }
  });
});

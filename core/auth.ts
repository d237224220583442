import { SignJWT, createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTHeaderParameters } from "jose";
import { z } from "zod";
import { AppError, ErrorCode } from "./errors";
import { Hs256Refusal, Hs256Verifier } from "./hs256";
import { MAX_TOKEN_BYTES } from "./limits";
import { tenantIdSchema, userIdSchema } from "./tenancy";

export const ROLES = ["student", "teacher", "admin", "school_admin", "super_admin"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Who a verified token says the caller is. */
export interface Principal {
  user: string;
  tenant: string;
  role: Role;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issued at (`iat`), seconds since the epoch, when the token says; revocation checks compare it (core/revocation/). */
  iat?: number;
}

export interface AuthOptions {
  /** HS256 secret (at least 32 bytes). */
  secret: string;
  /** Expected `iss` claim. Default "interlinked". */
  issuer: string;
  /** Expected `aud` claim. Default "interlinked". */
  audience: string;
  /** Lifetime of tokens minted by `signToken`, seconds. Default 3600. */
  tokenTtlSeconds: number;
  /**
   * How long a user's revocation moment is kept (AUTH_REVOCATION_RETENTION, seconds; default 86,400 = 24 h):
   * at least the longest lifetime of a token the deployment accepts, so no token issued before a moment
   * outlives the record refusing it.
   */
  revocationRetentionSeconds?: number;
  /** Public keys for RS256 / ES256 tokens: a JWKS document (from a file) or the URL serving one. */
  jwks?: JSONWebKeySet | URL;
}

type PublicKey = Awaited<ReturnType<ReturnType<typeof createLocalJWKSet>>>;

/** Algorithms accepted: HS256 with the secret; RS256 and ES256 only with keys from the JWKS. */
const ASYMMETRIC = ["RS256", "ES256"];

const claimsSchema = z.object({ sub: userIdSchema, tenant: tenantIdSchema, role: roleSchema, exp: z.number().int(), iat: z.number().optional() });

/** Clock skew tolerated on `iat`: a token issued further in the future than this is refused (2001). */
export const IAT_LEEWAY_SECONDS = 60;

/** Issues and verifies HS256 JWTs with a pinned algorithm and checked `iss` / `aud`. */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly jwks: ((header: JWTHeaderParameters) => Promise<PublicKey | Uint8Array>) | undefined;
  private readonly algorithms: string[];
  private readonly hs256: Hs256Verifier;

  constructor(private readonly options: AuthOptions) {
    if (Buffer.byteLength(options.secret) < 32) throw new Error("auth secret must be at least 32 bytes");
    this.key = new TextEncoder().encode(options.secret);
    this.hs256 = new Hs256Verifier(this.key, { issuer: options.issuer, audience: options.audience });
    if (options.jwks) {
      const set = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks, { cooldownDuration: 30_000 }) : createLocalJWKSet(options.jwks);
      this.jwks = (header) => set(header);
    }
    this.algorithms = options.jwks ? ["HS256", ...ASYMMETRIC] : ["HS256"];
  }

  async sign(input: { tenant: string; user: string; role: Role; ttlSeconds?: number }): Promise<string> {
    const ttl = input.ttlSeconds ?? this.options.tokenTtlSeconds;
    return new SignJWT({ tenant: input.tenant, role: input.role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(input.user)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(this.key);
  }

  /** Throws AppError 2000 (missing), 2001 (invalid, over MAX_TOKEN_BYTES, or `iat` in the future) or 2002 (expired). */
  async verify(token: unknown): Promise<Principal> {
    if (typeof token !== "string" || token.length === 0) throw new AppError(ErrorCode.Unauthorized, "token required");
    if (token.length > MAX_TOKEN_BYTES) throw new AppError(ErrorCode.TokenInvalid, `token is over ${MAX_TOKEN_BYTES} bytes`);
    let payload: unknown;
    // HS256 (every token this service signs) is verified synchronously (core/hs256.ts); the others through jose.
    if (Hs256Verifier.algorithmOf(token) === "HS256") {
      try {
        payload = this.hs256.verify(token);
      } catch (err) {
        if (err instanceof Hs256Refusal && err.reason === "expired") throw new AppError(ErrorCode.TokenExpired, "token expired", { cause: err });
        throw new AppError(ErrorCode.TokenInvalid, "token invalid", { cause: err });
      }
    } else {
      try {
        // The key follows the (pinned) algorithm: HS256 only with the secret, RS256/ES256 only from the JWKS.
        const keyFor = async (header: JWTHeaderParameters): Promise<PublicKey | Uint8Array> => {
          if (header.alg === "HS256") return this.key;
          if (this.jwks && ASYMMETRIC.includes(header.alg)) return this.jwks(header);
          throw new joseErrors.JOSEAlgNotAllowed(`alg ${header.alg} not allowed`);
        };
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms: this.algorithms,
          issuer: this.options.issuer,
          audience: this.options.audience,
          requiredClaims: ["exp", "sub"],
        }));
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw new AppError(ErrorCode.TokenExpired, "token expired", { cause: err });
        throw new AppError(ErrorCode.TokenInvalid, "token invalid", { cause: err });
      }
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new AppError(ErrorCode.TokenInvalid, "token claims invalid: " + claims.error.issues[0]?.message);
    if (claims.data.iat !== undefined && claims.data.iat > Date.now() / 1000 + IAT_LEEWAY_SECONDS) throw new AppError(ErrorCode.TokenInvalid, "token issued in the future (iat)");
    // one shape for every principal (iat present or not): a live socket keeps it, in-object, with no property store
    return { user: claims.data.sub, tenant: claims.data.tenant, role: claims.data.role, exp: claims.data.exp, iat: claims.data.iat };
  }
}

// HS256 tokens signed inside k6 (AUTH_SECRET of the cluster under test), as the school's auth service would.
import crypto from "k6/crypto";
import encoding from "k6/encoding";

const b64 = (value) => encoding.b64encode(JSON.stringify(value), "rawurl");

export function token(tenant, user, role = "student", ttlSeconds = 4 * 3600) {
  const secret = __ENV.AUTH_SECRET;
  if (!secret) throw new Error("set AUTH_SECRET to the cluster's secret");
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: "HS256", typ: "JWT" });
  const body = b64({ sub: user, tenant, role, iss: "interlinked", aud: "interlinked", iat: now, exp: now + ttlSeconds });
  return `${head}.${body}.${crypto.hmac("sha256", secret, `${head}.${body}`, "base64rawurl")}`;
}

import { createECDH, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importJWK, jwtVerify, type JWTPayload } from "jose";

/** A push message the receiver got: the decrypted payload and the verified VAPID claims. */
export interface ReceivedPush {
  path: string;
  payload: string;
  vapid: JWTPayload;
  vapidKey: string;
  ttl: string | undefined;
  at: number;
}

/** A browser's side of a push subscription: the P-256 key pair and auth secret of RFC 8291. */
export class PushClientKeys {
  private readonly ecdh = createECDH("prime256v1");
  readonly auth = randomBytes(16);
  constructor() {
    this.ecdh.generateKeys();
  }
  get p256dh(): Buffer {
    return this.ecdh.getPublicKey();
  }
  /** The subscription JSON a browser hands to the application server. */
  subscription(endpoint: string) {
    return { endpoint, keys: { p256dh: this.p256dh.toString("base64url"), auth: this.auth.toString("base64url") } };
  }

  /** Decrypts an aes128gcm body (RFC 8188 framing, RFC 8291 key derivation); one record. */
  decrypt(body: Buffer): string {
    const salt = body.subarray(0, 16);
    const rs = body.readUInt32BE(16);
    const idlen = body[20] ?? 0;
    const asPublic = body.subarray(21, 21 + idlen);
    const record = body.subarray(21 + idlen);
    if (record.length > rs) throw new Error("more than one record");
    const shared = this.ecdh.computeSecret(asPublic);
    const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), this.p256dh, asPublic]);
    const ikm = Buffer.from(hkdfSync("sha256", shared, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
    const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
    const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    // last record: content, then the delimiter 0x02, then zero padding
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (plain[end] !== 2) throw new Error("bad padding delimiter");
    return plain.subarray(0, end).toString("utf8");
  }
}

/** Verifies `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292): ES256 by the key, audience the origin. */
async function verifyVapid(header: string | undefined, origin: string): Promise<{ claims: JWTPayload; key: string }> {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!m) throw new Error(`no vapid authorization: ${header}`);
  const [, jwt = "", key = ""] = m;
  const point = Buffer.from(key, "base64url");
  const jwk = { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33, 65).toString("base64url") };
  const { payload } = await jwtVerify(jwt, await importJWK(jwk, "ES256"), { audience: origin, algorithms: ["ES256"] });
  return { claims: payload, key };
}

/**
 * A local push service (RFC 8030) on HTTPS with a self-signed loopback certificate: accepts POSTs to
 * `/push/<id>`, verifies VAPID and decrypts with the registered client keys. `status` answers other than 201.
 */
export class PushReceiver {
  readonly received: ReceivedPush[] = [];
  readonly failures: string[] = [];
  readonly clients = new Map<string, PushClientKeys>();
  /** Status to answer for a path (e.g. 410 for a gone subscription); default 201. */
  readonly statusFor = new Map<string, number>();
  certPem = "";
  private server?: Server;
  private dir = "";
  origin = "";

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "push-receiver-"));
    const key = join(this.dir, "key.pem");
    const cert = join(this.dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    this.certPem = readFileSync(cert, "utf8");
    const server = createServer({ key: readFileSync(key), cert: this.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "";
        const status = this.statusFor.get(path) ?? 201;
        if (status !== 201) {
          res.writeHead(status).end();
          return;
        }
        const client = this.clients.get(path);
        void (async () => {
          try {
            if (!client) throw new Error(`unknown subscription ${path}`);
            if (req.headers["content-encoding"] !== "aes128gcm") throw new Error(`content-encoding ${req.headers["content-encoding"]}`);
            const { claims, key: vapidKey } = await verifyVapid(req.headers.authorization, this.origin);
            const payload = client.decrypt(Buffer.concat(chunks));
            this.received.push({ path, payload, vapid: claims, vapidKey, ttl: req.headers.ttl as string | undefined, at: Date.now() });
            res.writeHead(201).end();
          } catch (err) {
            this.failures.push(String(err));
            res.writeHead(400).end();
          }
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    this.server = server;
    this.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A new subscription (client keys) at this push service. */
  subscribe(id: string): { keys: PushClientKeys; subscription: ReturnType<PushClientKeys["subscription"]> } {
    const keys = new PushClientKeys();
    this.clients.set(`/push/${id}`, keys);
    return { keys, subscription: keys.subscription(`${this.origin}/push/${id}`) };
  }

  of(id: string): ReceivedPush[] {
    return this.received.filter((r) => r.path === `/push/${id}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

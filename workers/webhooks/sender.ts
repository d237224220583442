import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { resolveDeliveryAddress } from "./resolve-address";
import { SIGNATURE_HEADER, signWebhook } from "../../core/webhooks/signature";

export interface SendOutcome {
  ok: boolean;
  /** HTTP status, or null when no response came (refused, timed out, address not allowed). */
  status: number | null;
  error: string;
  latencyMs: number;
}

export interface SenderOptions {
  /** Per-attempt limit, connection to end of response, ms. */
  timeoutMs: number;
  /** Allow loopback / private / link-local addresses (WEBHOOKS_ALLOW_PRIVATE; tests). */
  allowPrivate: boolean;
}

/** Largest response body read (then discarded): receivers should answer quickly and briefly. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs signed webhook bodies. Every attempt resolves the endpoint's host and refuses it unless every
 * address is public (or `allowPrivate`), then connects to exactly the checked address (the request's
 * `lookup` returns it), so DNS cannot swap in an inside address between check and connect. Keep-alive
 * connections are pooled per host. A 2xx answer is a delivery; anything else (or none) a failure.
 */
export class WebhookSender {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly options: SenderOptions) {}

  async send(target: { url: string; secret: string }, body: string, headers: Record<string, string>): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    let resolved: { address: string; family: 4 | 6 };
    try {
      url = new URL(target.url);
      resolved = await resolveDeliveryAddress(url, this.options.allowPrivate);
    } catch (err) {
      return { ok: false, status: null, error: err instanceof Error ? err.message : String(err), latencyMs: elapsed() };
    }
    const pinned: LookupFunction = (_host, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [resolved]);
      else callback(null, resolved.address, resolved.family);
    };
    const timestamp = Math.floor(Date.now() / 1000);
    const request = url.protocol === "https:" ? https.request : http.request;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (outcome: Omit<SendOutcome, "latencyMs">) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, latencyMs: elapsed() });
      };
      const req = request(url, {
        method: "POST",
        agent: url.protocol === "https:" ? this.httpsAgent : this.httpAgent,
        lookup: pinned,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "Interlinked-Webhooks/1",
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
          ...headers,
        },
      });
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      req.on("response", (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const finish = () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true, status, error: "" } : { ok: false, status, error: `HTTP ${status}` });
        };
        res.on("end", finish);
        res.on("close", finish);
        res.on("error", finish);
      });
      req.on("error", (err) => done({ ok: false, status: null, error: err.message }));
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

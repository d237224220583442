import { BlockList, isIP } from "node:net";
import { AppError, ErrorCode } from "../errors";

/** Ranges a webhook may not reach unless the operator allows private addresses (WEBHOOKS_ALLOW_PRIVATE=1). */
const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24],
  ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) blocked.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["2001:db8::", 32]] as const) blocked.addSubnet(net, bits, "ipv6");

/** Whether an IP address is public (not loopback, private, link-local, CGNAT, multicast, documentation or reserved). */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return isPublicAddress(mapped[1] as string);
    return !blocked.check(ip, "ipv6");
  }
  return !blocked.check(ip, "ipv4");
}

/**
 * Checks a webhook URL's form: http(s), no credentials, and, unless `allowPrivate`, a host that is not
 * a private or loopback literal or `localhost`. Names are resolved and checked again at every delivery
 * (workers/webhooks/resolve-address.ts), so a name that later points inside is refused then. Throws 1001.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError(ErrorCode.InvalidPayload, "url: not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new AppError(ErrorCode.InvalidPayload, "url: must be http or https");
  if (url.username || url.password) throw new AppError(ErrorCode.InvalidPayload, "url: must not carry credentials");
  if (raw.length > 2_000) throw new AppError(ErrorCode.InvalidPayload, "url: over 2000 characters");
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || (isIP(host) !== 0 && !isPublicAddress(host))) {
    throw new AppError(ErrorCode.InvalidPayload, `url: ${host} is not a public address (private, loopback and link-local addresses are refused)`);
  }
  return url;
}

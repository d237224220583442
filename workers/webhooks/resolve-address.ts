import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { AppError, ErrorCode } from "../../core/errors";
import { isPublicAddress } from "../../core/webhooks/address-guard";

/**
 * The address a delivery connects to: the host's resolved addresses, all of which must be public unless
 * `allowPrivate` (one private answer refuses the delivery, so a name cannot smuggle an inside address).
 * The caller connects to exactly this address (no second lookup: no DNS rebinding between check and use).
 */
export async function resolveDeliveryAddress(url: URL, allowPrivate: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host);
  const answers = literal !== 0 ? [{ address: host, family: literal }] : await dns.lookup(host, { all: true, verbatim: true });
  if (answers.length === 0) throw new Error(`${host}: no address`);
  if (!allowPrivate) {
    const inside = answers.find((a) => !isPublicAddress(a.address));
    if (inside) throw new AppError(ErrorCode.Forbidden, `${host} resolves to ${inside.address}, not a public address`);
  }
  const first = answers[0] as { address: string; family: number };
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

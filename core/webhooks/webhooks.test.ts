import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { hashApiKeySecret, newApiKey, parseApiKey, secretMatches } from "../api-keys";
import { checkWebhookUrl, isPublicAddress } from "./address-guard";
import { DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule, retryDelayMs, scheduleSpanMs } from "./schedule";
import { signWebhook, verifyWebhook } from "./signature";

describe("webhook address guard", () => {
  it("tells public addresses from loopback, private, link-local and reserved ones", () => {
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.216.34"]) expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.1.1.1", "224.0.0.1", "not-an-ip"]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it("refuses private hosts, localhost, credentials and other schemes unless allowed", () => {
    for (const url of ["http://127.0.0.1/", "http://[::1]/", "http://localhost:80/", "http://a.localhost/", "http://10.0.0.1/", "ftp://example.com/", "http://u:p@example.com/", "nope"]) {
      expect(() => checkWebhookUrl(url, false), url).toThrow(AppError);
    }
    expect(checkWebhookUrl("https://example.com/hook", false).hostname).toBe("example.com");
    expect(checkWebhookUrl("http://127.0.0.1:9/x", true).port).toBe("9");
  });
});

describe("webhook signatures", () => {
  it("verifies its own signature, within the tolerance only, and nothing altered", () => {
    const header = signWebhook("whsec_x", 1_000_000, '{"a":1}');
    expect(header).toMatch(/^t=1000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook("whsec_x", header, '{"a":1}', 1_000_100)).toBe(true);
    expect(verifyWebhook("whsec_x", header, '{"a":2}', 1_000_100)).toBe(false);
    expect(verifyWebhook("whsec_y", header, '{"a":1}', 1_000_100)).toBe(false);
    expect(verifyWebhook("whsec_x", header, '{"a":1}', 1_000_400)).toBe(false);
    expect(verifyWebhook("whsec_x", "garbage", '{"a":1}', 1_000_100)).toBe(false);
  });
});

describe("webhook retry schedule", () => {
  it("retries for over 24 h by default, with ±20 % jitter, then stops", () => {
    expect(scheduleSpanMs(DEFAULT_RETRY_SCHEDULE_MS)).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(retryDelayMs([1000, 2000], 1, () => 0)).toBe(800);
    expect(retryDelayMs([1000, 2000], 2, () => 1)).toBe(2400);
    expect(retryDelayMs([1000, 2000], 3)).toBeUndefined();
    expect(parseRetrySchedule("100, 200,400")).toEqual([100, 200, 400]);
    expect(() => parseRetrySchedule("1,x")).toThrow();
  });
});

describe("API keys", () => {
  it("parses its own keys, stores only a hash and matches the secret", () => {
    const { id, secret, key, hash } = newApiKey();
    expect(parseApiKey(key)).toEqual({ id, secret });
    expect(hash).toBe(hashApiKeySecret(secret));
    expect(hash).not.toContain(secret);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}A`, hash)).toBe(secret.endsWith("A"));
    for (const bad of ["", "ilk_x_y", `ilk_${id}`, `Bearer ${key}`, key.replace("ilk_", "ilx_")]) expect(parseApiKey(bad)).toBeUndefined();
  });
});

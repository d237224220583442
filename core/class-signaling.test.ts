import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { classInbound } from "./class-signaling";

// What mediasoup-client 3.24 sends as `producer:create` from Chromium (shape of a real camera producer).
const fromBrowser = (msid: string) => ({
  classId: randomUUID(),
  transportId: randomUUID(),
  kind: "video",
  source: "camera",
  rtpParameters: {
    mid: "0",
    msid,
    codecs: [{ mimeType: "video/VP8", payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: "nack" }] }],
    headerExtensions: [{ uri: "urn:ietf:params:rtp-hdrext:sdes:mid", id: 4, encrypt: false, parameters: {} }],
    encodings: [{ rid: "r0", active: true, maxBitrate: 100000, scaleResolutionDownBy: 4 }],
    rtcp: { cname: "Vf4Dqa9r0hMk3z1e", reducedSize: true },
  },
});

describe("producer:create from a browser", () => {
  it("accepts the msid mediasoup-client sends", () => {
    expect(classInbound["producer:create"].safeParse(fromBrowser("6c1f2b0e-stream 2d1e0f9a-track")).success).toBe(true);
  });

  it("refuses an msid no store could keep", () => {
    expect(classInbound["producer:create"].safeParse(fromBrowser("a\u0000b")).success).toBe(false);
    expect(classInbound["producer:create"].safeParse(fromBrowser("x".repeat(257))).success).toBe(false);
  });
});

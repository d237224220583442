import { randomBytes } from "node:crypto";
import * as sdpTransform from "sdp-transform";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpTransceiver } from "werift";

/** What the server says about a WebRtcTransport (mediasoup's transport parameters). */
export interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: Array<{ foundation: string; priority: number; address: string; ip?: string; port: number; protocol: string; type: string }>;
  dtlsParameters: { role?: string; fingerprints: Array<{ algorithm: string; value: string }> };
}

/** What the server says about a consumer it created for us. */
export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: "audio" | "video";
  rtpParameters: {
    mid?: string;
    codecs: Array<{ mimeType: string; payloadType: number; clockRate: number; channels?: number; parameters?: Record<string, unknown>; rtcpFeedback?: Array<{ type: string; parameter?: string }> }>;
    headerExtensions?: Array<{ uri: string; id: number }>;
    encodings?: Array<{ ssrc?: number }>;
    rtcp?: { cname?: string };
  };
}

export interface DtlsConnect {
  role: "client";
  fingerprints: Array<{ algorithm: string; value: string }>;
}

const MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid";

function remoteMediaHeader(t: TransportInfo): string[] {
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === "sha-256") ?? t.dtlsParameters.fingerprints[0];
  if (!fp) throw new Error("transport without fingerprints");
  return [
    "c=IN IP4 127.0.0.1",
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    ...t.iceCandidates.filter((c) => c.protocol === "udp").map((c) => `a=candidate:${c.foundation} 1 udp ${c.priority} ${c.ip ?? c.address} ${c.port} typ host`),
    "a=end-of-candidates",
    "a=rtcp-mux",
    "a=rtcp-rsize",
  ];
}

function localFingerprint(sdp: string): DtlsConnect {
  const parsed = sdpTransform.parse(sdp);
  const fp = parsed.fingerprint ?? parsed.media.find((m) => m.fingerprint)?.fingerprint;
  if (!fp) throw new Error("local SDP without a fingerprint");
  return { role: "client", fingerprints: [{ algorithm: fp.type, value: fp.hash }] };
}

const sessionHeader = (bundle: string[]): string[] => ["v=0", `o=- ${Date.now()} 1 IN IP4 127.0.0.1`, "s=-", "t=0 0", `a=group:BUNDLE ${bundle.join(" ")}`, "a=ice-lite", "a=msid-semantic: WMS *"];

/**
 * A real WebRTC sender (werift) that publishes one audio (opus) and one video (VP8) track to a mediasoup
 * WebRtcTransport, speaking SDP to werift and mediasoup's parameters to the server (what
 * mediasoup-client does in a browser).
 */
export class WebRtcSender {
  readonly pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  private readonly tracks = new Map<"audio" | "video", { track: MediaStreamTrack; transceiver: RTCRtpTransceiver }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(kinds: Array<"audio" | "video"> = ["audio", "video"]) {
    for (const kind of kinds) {
      const track = new MediaStreamTrack({ kind });
      const transceiver = this.pc.addTransceiver(track, { direction: "sendonly" });
      this.tracks.set(kind, { track, transceiver });
    }
  }

  /** Negotiates with the server's transport; returns the DTLS parameters to pass to `transport:connect`. */
  async connect(t: TransportInfo): Promise<DtlsConnect> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const local = sdpTransform.parse(this.pc.localDescription?.sdp ?? "");
    const lines = sessionHeader(local.media.map((m) => String(m.mid)));
    for (const m of local.media) {
      const codec = m.rtp.find((r) => /^(opus|VP8)$/i.test(r.codec));
      if (!codec) throw new Error(`no opus/VP8 in the local ${m.type} offer`);
      const midExt = m.ext?.find((e) => e.uri === MID_URI);
      lines.push(
        `m=${m.type} 7 UDP/TLS/RTP/SAVPF ${codec.payload}`,
        ...remoteMediaHeader(t),
        "a=setup:passive",
        `a=mid:${String(m.mid)}`,
        "a=recvonly",
        `a=rtpmap:${codec.payload} ${codec.codec}/${codec.rate}${codec.encoding ? `/${codec.encoding}` : ""}`,
        ...(midExt ? [`a=extmap:${midExt.value} ${MID_URI}`] : []),
      );
    }
    await this.pc.setRemoteDescription({ type: "answer", sdp: lines.join("\r\n") + "\r\n" });
    return localFingerprint(this.pc.localDescription?.sdp ?? "");
  }

  /** The RTP parameters of one of our tracks, as mediasoup's `produce` wants them. */
  rtpParameters(kind: "audio" | "video"): ConsumerInfo["rtpParameters"] {
    const local = sdpTransform.parse(this.pc.localDescription?.sdp ?? "");
    const m = local.media.find((x) => x.type === kind);
    const entry = this.tracks.get(kind);
    if (!m || !entry) throw new Error(`no ${kind} track`);
    const codec = m.rtp.find((r) => /^(opus|VP8)$/i.test(r.codec));
    if (!codec) throw new Error(`no codec for ${kind}`);
    const midExt = m.ext?.find((e) => e.uri === MID_URI);
    return {
      mid: String(m.mid),
      codecs: [{ mimeType: `${kind}/${codec.codec}`, payloadType: codec.payload, clockRate: codec.rate ?? 0, ...(kind === "audio" ? { channels: 2 } : {}) }],
      headerExtensions: midExt ? [{ uri: MID_URI, id: midExt.value }] : [],
      encodings: [{ ssrc: entry.transceiver.sender.ssrc }],
      rtcp: { cname: "werift" },
    };
  }

  /** Sends synthetic RTP on every track every 20 ms (VP8 frames are marked as key frames). */
  startSending(): void {
    let seq = 0;
    let ts = 0;
    this.timer = setInterval(() => {
      seq = (seq + 1) & 0xffff;
      ts = (ts + 960) >>> 0;
      for (const [kind, { track, transceiver }] of this.tracks) {
        const payloadType = this.rtpParameters(kind).codecs[0]?.payloadType ?? 0;
        const payload = kind === "video" ? Buffer.from([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, ...randomBytes(40)]) : randomBytes(60);
        const header = new RtpHeader({ payloadType, sequenceNumber: seq, timestamp: ts, ssrc: transceiver.sender.ssrc, marker: true });
        track.writeRtp(new RtpPacket(header, payload));
      }
    }, 20);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pc.close();
  }
}

/**
 * A real WebRTC receiver (werift) for a mediasoup recv transport: each `consume` renegotiates with one
 * more m-section built from the consumer's RTP parameters; RTP packets received per consumer are counted.
 */
export class WebRtcReceiver {
  readonly pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  private readonly consumers: ConsumerInfo[] = [];
  readonly received = new Map<string, number>();
  private version = 1;

  constructor(readonly transport: TransportInfo) {
    this.pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const consumer = this.consumers.find((c) => c.rtpParameters.encodings?.[0]?.ssrc === rtp.header.ssrc);
        const key = consumer?.id ?? `ssrc:${rtp.header.ssrc}`;
        this.received.set(key, (this.received.get(key) ?? 0) + 1);
      });
    });
  }

  /** Adds consumers to the session; on the first call, returns DTLS parameters for `transport:connect`. */
  async consume(consumers: ConsumerInfo[]): Promise<DtlsConnect | undefined> {
    const first = this.consumers.length === 0;
    this.consumers.push(...consumers);
    const t = this.transport;
    const lines = sessionHeader(this.consumers.map((c) => String(c.rtpParameters.mid)));
    lines[1] = `o=- 1 ${this.version++} IN IP4 127.0.0.1`;
    for (const c of this.consumers) {
      const codec = c.rtpParameters.codecs[0];
      const ssrc = c.rtpParameters.encodings?.[0]?.ssrc;
      if (!codec || ssrc === undefined) throw new Error("consumer without codec or ssrc");
      const [, name] = codec.mimeType.split("/");
      lines.push(
        `m=${c.kind} 7 UDP/TLS/RTP/SAVPF ${codec.payloadType}`,
        ...remoteMediaHeader(t),
        "a=setup:actpass",
        `a=mid:${String(c.rtpParameters.mid)}`,
        "a=sendonly",
        `a=rtpmap:${codec.payloadType} ${String(name)}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ""}`,
        `a=ssrc:${ssrc} cname:${c.rtpParameters.rtcp?.cname ?? "mediasoup"}`,
        `a=ssrc:${ssrc} msid:${c.producerId} ${c.id}`,
        `a=msid:${c.producerId} ${c.id}`,
      );
    }
    await this.pc.setRemoteDescription({ type: "offer", sdp: lines.join("\r\n") + "\r\n" });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    return first ? localFingerprint(this.pc.localDescription?.sdp ?? "") : undefined;
  }

  count(consumerId: string): number {
    return this.received.get(consumerId) ?? 0;
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

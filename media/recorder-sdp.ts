import type { types } from "mediasoup";

/** One RTP stream the recorder receives: a consumer's parameters and the local UDP port it is sent to (RTCP: port + 1). */
export interface SdpStream {
  kind: "audio" | "video";
  port: number;
  rtpParameters: types.RtpParameters;
}

const fmtp = (parameters: Record<string, unknown> | undefined): string | undefined => {
  const pairs = Object.entries(parameters ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  return pairs.length > 0 ? pairs.join(";") : undefined;
};

/**
 * An SDP describing the streams that mediasoup PlainTransports send to 127.0.0.1 (no SRTP, RTCP on the
 * next port): what ffmpeg's RTP demuxer reads with `-f sdp`. One m-line per stream, in `streams` order.
 */
export function recorderSdp(streams: readonly SdpStream[]): string {
  const lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=Interlinked class recording", "c=IN IP4 127.0.0.1", "t=0 0"];
  for (const s of streams) {
    const codec = s.rtpParameters.codecs[0];
    if (!codec) throw new Error("a recorded stream has no codec");
    const name = codec.mimeType.split("/")[1] ?? "";
    const channels = codec.channels && codec.channels > 1 ? `/${codec.channels}` : "";
    lines.push(`m=${s.kind} ${s.port} RTP/AVP ${codec.payloadType}`, `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`);
    const params = fmtp(codec.parameters as Record<string, unknown> | undefined);
    if (params) lines.push(`a=fmtp:${codec.payloadType} ${params}`);
    lines.push("a=recvonly");
  }
  return `${lines.join("\r\n")}\r\n`;
}

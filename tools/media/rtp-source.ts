import { spawn, type ChildProcess } from "node:child_process";
import type { types } from "mediasoup";

/**
 * A teacher's real media for recording tests and benchmarks: ffmpeg encodes a test pattern (VP8) and a
 * tone (Opus) in real time and sends them as RTP into two mediasoup PlainTransports (comedia), which
 * produce them on `router`. The media is decodable (unlike the synthetic RTP of webrtc-peer.ts), so a
 * recording of it can be checked with ffprobe. Keyframe every `gop` frames (ffmpeg does not answer PLI).
 */
export class RtpSource {
  private constructor(
    readonly video: types.Producer,
    readonly audio: types.Producer,
    private readonly transports: types.PlainTransport[],
    private readonly process: ChildProcess,
  ) {}

  static async start(
    router: types.Router,
    options: { width?: number; height?: number; fps?: number; videoKbps?: number; ffmpegBin?: string; appData?: Record<string, unknown> } = {},
  ): Promise<RtpSource> {
    const { width = 320, height = 240, fps = 15, videoKbps = 300 } = options;
    const plain = () => router.createPlainTransport({ listenInfo: { protocol: "udp", ip: "127.0.0.1" }, rtcpMux: false, comedia: true });
    const vt = await plain();
    const at = await plain();
    const vssrc = 1000 + Math.floor(Math.random() * 1e6);
    const assrc = vssrc + 1;
    const video = await vt.produce({
      kind: "video",
      rtpParameters: { codecs: [{ mimeType: "video/VP8", payloadType: 101, clockRate: 90_000 }], encodings: [{ ssrc: vssrc }] },
      appData: { ...options.appData, source: "camera" },
    });
    const audio = await at.produce({
      kind: "audio",
      rtpParameters: { codecs: [{ mimeType: "audio/opus", payloadType: 100, clockRate: 48_000, channels: 2, parameters: { "sprop-stereo": 1 } }], encodings: [{ ssrc: assrc }] },
      appData: { ...options.appData, source: "mic" },
    });
    const url = (t: types.PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple?.localPort ?? t.tuple.localPort + 1}&pkt_size=1200`;
    const args = [
      "-n", "15", options.ffmpegBin ?? "ffmpeg", "-nostdin", "-v", "error", "-re",
      "-f", "lavfi", "-i", `testsrc=size=${width}x${height}:rate=${fps}`,
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-map", "0:v", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", `${videoKbps}k`, "-g", String(fps), "-threads", "1",
      "-ssrc", String(vssrc), "-payload_type", "101", "-f", "rtp", url(vt),
      "-map", "1:a", "-c:a", "libopus", "-ac", "2", "-ar", "48000", "-b:a", "48k",
      "-ssrc", String(assrc), "-payload_type", "100", "-f", "rtp", url(at),
    ];
    const process = spawn("nice", args, { stdio: ["ignore", "ignore", "inherit"] });
    return new RtpSource(video, audio, [vt, at], process);
  }

  /** The encoder process's pid (benchmarks read its CPU). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  stop(): void {
    this.process.kill("SIGKILL");
    for (const t of this.transports) t.close();
  }
}

/**
 * `npm run bench:media-worker [-- --steps 50,100,200,400 --seconds 5]`: how many consumers one mediasoup
 * worker (one core) forwards before it saturates. One class: a teacher's VP8 (~1 Mbit/s) and opus streams
 * enter a PlainTransport; each "student" is a PlainTransport with SRTP (so encryption is paid, as for
 * WebRTC) consuming both. Worker CPU is read from /proc; packets sent from transport stats.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { createWorker, type types } from "mediasoup";
import { classMediaCodecs } from "../../media/codecs";
import { ensureMediasoupWorker } from "../../tools/services/mediasoup";
import { freePort } from "../../tools/services/process";
import { cpuSeconds } from "./proc";

const { values: args } = parseArgs({ options: { steps: { type: "string", default: "50,100,200,300,400,600" }, seconds: { type: "string", default: "5" } } });
const steps = args.steps.split(",").map(Number);
const SECONDS = Number(args.seconds);
const log = (line: string): void => console.log(`[bench] ${line}`);

const workerBin = await ensureMediasoupWorker(process.env.MEDIASOUP_WORKER_BIN, log);
const worker = await createWorker({ workerBin, logLevel: "error", rtcMinPort: 44_000, rtcMaxPort: 47_999 });
const router = await worker.createRouter({ mediaCodecs: classMediaCodecs });

// The teacher: RTP from this process into a comedia PlainTransport.
const input = await router.createPlainTransport({ listenInfo: { protocol: "udp", ip: "127.0.0.1" }, rtcpMux: true, comedia: true });
const VIDEO = { ssrc: 1111, pt: 101 };
const AUDIO = { ssrc: 2222, pt: 100 };
const producers = [
  await input.produce({ kind: "video", rtpParameters: { codecs: [{ mimeType: "video/VP8", payloadType: VIDEO.pt, clockRate: 90_000 }], encodings: [{ ssrc: VIDEO.ssrc }] } }),
  await input.produce({ kind: "audio", rtpParameters: { codecs: [{ mimeType: "audio/opus", payloadType: AUDIO.pt, clockRate: 48_000, channels: 2 }], encodings: [{ ssrc: AUDIO.ssrc }] } }),
];
const udp = createSocket("udp4");
const rtp = (s: { ssrc: number; pt: number }, seq: number, ts: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 0x80 | s.pt;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(s.ssrc, 8);
  return Buffer.concat([h, payload]);
};
// VP8 key frame descriptor + header, then filler: ~1,100-byte packets, 115/s ≈ 1 Mbit/s; opus 50/s.
const vp8 = Buffer.concat([Buffer.from([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]), randomBytes(1_090)]);
const opus = randomBytes(120);
let seq = 0;
const sendTimer = setInterval(() => {
  seq++;
  for (let k = 0; k < 23; k++) udp.send(rtp(VIDEO, seq * 23 + k, seq * 9000, vp8), input.tuple.localPort, "127.0.0.1");
  for (let k = 0; k < 10; k++) udp.send(rtp(AUDIO, seq * 10 + k, seq * 9600 + k * 960, opus), input.tuple.localPort, "127.0.0.1");
}, 200);
const INPUT_BYTES_PER_S = (23 * (12 + vp8.length) + 10 * (12 + opus.length)) * 5;

// A sink that never reads (python): the kernel drops what overflows, costing us nothing to receive.
const sinkPort = await freePort();
const sink = spawn("python3", ["-c", `import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", ${sinkPort})); time.sleep(1e6)`], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 300));

const students: types.PlainTransport[] = [];
async function addStudent(): Promise<void> {
  const t = await router.createPlainTransport({ listenInfo: { protocol: "udp", ip: "127.0.0.1" }, rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: "AES_CM_128_HMAC_SHA1_80" });
  await t.connect({ ip: "127.0.0.1", port: sinkPort, srtpParameters: { cryptoSuite: "AES_CM_128_HMAC_SHA1_80", keyBase64: randomBytes(30).toString("base64") } });
  for (const p of producers) await t.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities });
  students.push(t);
}

const sent = async (): Promise<number> => (await Promise.all(students.map(async (t) => (await t.getStats())[0]?.rtpBytesSent ?? 0))).reduce((a, b) => a + b, 0);

log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; mediasoup worker ${workerBin}`);
log("students | consumers | worker CPU (% of a core) | Mbit/s sent (RTP) | expected Mbit/s");
for (const n of steps) {
  while (students.length < n) await addStudent();
  await new Promise((r) => setTimeout(r, 1_000));
  const p0 = await sent();
  const tp0 = Date.now();
  const [c0, t0] = [cpuSeconds(worker.pid), Date.now()];
  await new Promise((r) => setTimeout(r, SECONDS * 1_000));
  const [c1, t1] = [cpuSeconds(worker.pid), Date.now()];
  const p1 = await sent();
  const secs = (Date.now() - tp0) / 1000;
  // CPU over exactly [t0, t1], with no stats calls inside the window.
  const cpu = ((c1 - c0) / ((t1 - t0) / 1000)) * 100;
  const mbit = (bytes: number): string => ((bytes * 8) / 1e6).toFixed(0);
  log(`${n} | ${n * 2} | ${cpu.toFixed(0)} % | ${mbit((p1 - p0) / secs)} | ${mbit(n * INPUT_BYTES_PER_S)}`);
}
clearInterval(sendTimer);
udp.close();
sink.kill();
worker.close();

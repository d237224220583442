import type { types } from "mediasoup-client";

/**
 * Camera simulcast: three layers at 1/4, 1/2 and full resolution (rids r0–r2, lowest first, as
 * mediasoup numbers spatial layers). Chrome sends all three only from about 960×540 up: ask the camera
 * for 1280×720 (`openCamera`).
 */
export const CAMERA_SIMULCAST: readonly types.RtpEncodingParameters[] = [
  { rid: "r0", scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: "L1T3" },
  { rid: "r1", scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: "L1T3" },
  { rid: "r2", scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: "L1T3" },
];

export const CAMERA_CODEC_OPTIONS: types.ProducerCodecOptions = { videoGoogleStartBitrate: 1000 };

/** A 1280×720 camera track (what simulcast needs for three layers). */
export async function openCamera(constraints: MediaTrackConstraints = {}): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 }, ...constraints } });
  return firstTrack(stream, "video");
}

/** A microphone track with echo cancellation and noise suppression. */
export async function openMic(constraints: MediaTrackConstraints = {}): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, ...constraints } });
  return firstTrack(stream, "audio");
}

/** A screen (or window, or tab) the user picks in the browser's dialog. */
export async function openScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  return firstTrack(stream, "video");
}

function firstTrack(stream: MediaStream, kind: "audio" | "video"): MediaStreamTrack {
  const track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
  if (!track) throw new Error(`no ${kind} track`);
  return track;
}

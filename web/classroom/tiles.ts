import type { RemoteMedia } from "../../sdk/src/class/index";
import { el } from "./dom";

/** What a test (or a curious user) can read about a received track: RTCStats of its inbound-rtp. */
export interface ReceivedStats {
  consumerId: string;
  user: string;
  source: string;
  kind: "audio" | "video";
  paused: boolean;
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  /** The received codec (e.g. "video/H264"), from the inbound-rtp's codec entry; "" when not known yet. */
  mimeType: string;
}

/** Reads the inbound-rtp entry of a stats report. */
export function inbound(report: RTCStatsReport | undefined): Omit<ReceivedStats, "consumerId" | "user" | "source" | "kind" | "paused"> {
  const out = { bytesReceived: 0, packetsReceived: 0, framesDecoded: 0, frameWidth: 0, frameHeight: 0, mimeType: "" };
  report?.forEach((s: Record<string, unknown>) => {
    if (s.type !== "inbound-rtp") return;
    const codec = typeof s.codecId === "string" ? (report.get(s.codecId) as { mimeType?: string } | undefined) : undefined;
    if (codec?.mimeType) out.mimeType = codec.mimeType;
    out.bytesReceived += Number(s.bytesReceived ?? 0);
    out.packetsReceived += Number(s.packetsReceived ?? 0);
    out.framesDecoded += Number(s.framesDecoded ?? 0);
    out.frameWidth = Math.max(out.frameWidth, Number(s.frameWidth ?? 0));
    out.frameHeight = Math.max(out.frameHeight, Number(s.frameHeight ?? 0));
  });
  return out;
}

const key = (m: { user: string; source: string }): string => `${m.user}-${m.source}`;

/**
 * The stage: one tile per received video (with a quality picker for simulcast cameras), a hidden
 * <audio> per received audio track, and the local previews.
 */
export class Stage {
  constructor(
    private readonly videos: HTMLElement,
    private readonly audios: HTMLElement,
    private readonly onLayer: (consumerId: string, spatialLayer: number) => void,
  ) {}

  add(media: RemoteMedia): void {
    if (media.kind === "audio") {
      this.audios.querySelector(`[data-testid="audio-${key(media)}"]`)?.remove();
      const audio = el("audio", { testid: `audio-${key(media)}`, autoplay: "" });
      audio.srcObject = new MediaStream([media.track]);
      this.audios.append(audio);
      void audio.play().catch(() => undefined);
      return;
    }
    const tile = this.tile(key(media), `${media.user} · ${media.source}`);
    const video = tile.querySelector("video") as HTMLVideoElement;
    video.srcObject = new MediaStream([media.track]);
    void video.play().catch(() => undefined);
    tile.dataset.consumerId = media.consumerId;
    tile.classList.toggle("paused", media.paused);
    if (media.source === "camera" && !tile.querySelector("select")) {
      const label = el("label", {}, "Quality ");
      const select = el("select", { testid: `layer-${media.user}`, "aria-label": `Video quality of ${media.user}` });
      for (const [value, text] of [["2", "high"], ["1", "medium"], ["0", "low"]] as const) select.append(el("option", { value }, text));
      select.addEventListener("change", () => this.onLayer(tile.dataset.consumerId ?? "", Number(select.value)));
      label.append(select);
      tile.querySelector("figcaption")?.append(label);
    }
  }

  paused(media: RemoteMedia): void {
    this.videos.querySelector(`[data-testid="tile-${key(media)}"]`)?.classList.toggle("paused", media.paused);
  }

  remove(media: { user: string; source: string; kind: string }): void {
    const testid = media.kind === "audio" ? `audio-${key(media)}` : `tile-${key(media)}`;
    (media.kind === "audio" ? this.audios : this.videos).querySelector(`[data-testid="${testid}"]`)?.remove();
  }

  /** The local preview of a published video source (muted, mirrored for the camera). */
  preview(source: string, track: MediaStreamTrack | undefined): void {
    const id = `self-${source}`;
    if (!track) {
      this.videos.querySelector(`[data-testid="tile-${id}"]`)?.remove();
      return;
    }
    const tile = this.tile(id, `you · ${source}`);
    const video = tile.querySelector("video") as HTMLVideoElement;
    video.muted = true;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => undefined);
    if (source === "camera") video.classList.add("mirror");
  }

  /** Shows each tile's received resolution. */
  resolution(consumerId: string, width: number, height: number): void {
    const tile = this.videos.querySelector<HTMLElement>(`[data-consumer-id="${consumerId}"]`);
    const res = tile?.querySelector('[data-role="res"]');
    if (res) res.textContent = width ? `${width}×${height}` : "";
  }

  clear(): void {
    this.videos.replaceChildren();
    this.audios.replaceChildren();
  }

  private tile(id: string, caption: string): HTMLElement {
    const existing = this.videos.querySelector<HTMLElement>(`[data-testid="tile-${id}"]`);
    if (existing) return existing;
    const figure = el("figure", { testid: `tile-${id}`, class: "tile" });
    const video = el("video", { testid: `video-${id}`, autoplay: "", playsinline: "", "aria-label": caption });
    video.muted = true; // sound plays through the <audio> elements
    const figcaption = el("figcaption", {}, caption + " ");
    figcaption.append(el("span", { "data-role": "res", class: "muted" }));
    figure.append(video, figcaption);
    this.videos.append(figure);
    return figure;
  }
}

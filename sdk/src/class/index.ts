/** Live classes (docs/CLIENT.md "Live classes"): the `/class` client and media helpers. */
export { ClassClient, type ClassClientEvents, type ClassClientOptions, type LocalMedia, type RemoteMedia } from "./class-client";
export { CLASS_REQUEST_TIMEOUT_MS, classRequest } from "./class-request";
export { CAMERA_SIMULCAST, openCamera, openMic, openScreen } from "./media";
export type { ActiveSpeakerView, ClassJoined, ClassRole, ClassWaiting, HandView, MediaSource, ParticipantView, WaitingView } from "../../../core/class-signaling";

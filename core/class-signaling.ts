import { z } from "zod";
import type { ErrorBody } from "./errors";
import { userIdSchema } from "./tenancy";
import { storableText } from "./storable";

/**
 * The live-class signaling protocol on the `/class` namespace (docs/PROTOCOL.md "Live classes"):
 * request schemas (validated on every event, extra top-level fields refused) and the shapes of the
 * server's answers and pushes. Media objects follow mediasoup's parameter shapes.
 */
const id = z.string().uuid();
const classId = id;
const json = z.record(z.string(), z.unknown());
const rtcpFeedback = z.array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() }).strict()).max(16);

export const rtpParametersSchema = z
  .object({
    mid: z.string().max(32).optional(),
    /** WebRTC's MediaStream id + track id (mediasoup-client sends it): "<stream> <track>". */
    msid: storableText().max(256).optional(),
    codecs: z
      .array(
        z
          .object({
            mimeType: z.string().regex(/^(audio|video)\/[A-Za-z0-9_.-]{1,32}$/),
            payloadType: z.number().int().min(0).max(127),
            clockRate: z.number().int().min(1),
            channels: z.number().int().min(1).max(8).optional(),
            parameters: json.optional(),
            rtcpFeedback: rtcpFeedback.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(16),
    headerExtensions: z.array(z.object({ uri: z.string().max(256), id: z.number().int().min(1).max(255), encrypt: z.boolean().optional(), parameters: json.optional() }).strict()).max(32).optional(),
    encodings: z
      .array(z.object({ ssrc: z.number().int().min(0).max(0xffffffff).optional(), rid: z.string().max(32).optional() }).passthrough())
      .max(4)
      .optional(),
    rtcp: z.object({ cname: z.string().max(256).optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() }).strict().optional(),
  })
  .strict();

export const rtpCapabilitiesSchema = z
  .object({
    codecs: z.array(z.object({ kind: z.enum(["audio", "video"]), mimeType: z.string().max(64), clockRate: z.number().int().min(1) }).passthrough()).max(64).optional(),
    headerExtensions: z.array(z.object({ uri: z.string().max(256) }).passthrough()).max(64).optional(),
  })
  .strict();

const dtlsParameters = z
  .object({
    role: z.enum(["auto", "client", "server"]).optional(),
    fingerprints: z.array(z.object({ algorithm: z.enum(["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"]), value: z.string().min(1).max(256) }).strict()).min(1).max(5),
  })
  .strict();

export const MEDIA_SOURCES = ["camera", "mic", "screen"] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

export const classInbound = {
  "class:capabilities": z.object({ classId }).strict(),
  "class:join": z.object({ classId, rtpCapabilities: rtpCapabilitiesSchema }).strict(),
  "class:leave": z.object({ classId }).strict(),
  "class:start": z.object({ classId }).strict(),
  "class:end": z.object({ classId }).strict(),
  "class:record": z.object({ classId, action: z.enum(["start", "stop"]) }).strict(),
  "transport:create": z.object({ classId, direction: z.enum(["send", "recv"]) }).strict(),
  "transport:connect": z.object({ classId, transportId: id, dtlsParameters }).strict(),
  "transport:restartIce": z.object({ classId, transportId: id }).strict(),
  "producer:create": z.object({ classId, transportId: id, kind: z.enum(["audio", "video"]), source: z.enum(MEDIA_SOURCES), rtpParameters: rtpParametersSchema }).strict(),
  "producer:pause": z.object({ classId, producerId: id }).strict(),
  "producer:resume": z.object({ classId, producerId: id }).strict(),
  "producer:close": z.object({ classId, producerId: id }).strict(),
  "producer:mute": z.object({ classId, producerId: id }).strict(),
  "consumer:resume": z.object({ classId, consumerId: id }).strict(),
  "consumer:setPreferredLayers": z.object({ classId, consumerId: id, spatialLayer: z.number().int().min(0).max(3), temporalLayer: z.number().int().min(0).max(3).optional() }).strict(),
  "hand:raise": z.object({ classId }).strict(),
  "hand:lower": z.object({ classId, user: userIdSchema.optional() }).strict(),
  "hand:acknowledge": z.object({ classId, user: userIdSchema }).strict(),
  "participant:promote": z.object({ classId, user: userIdSchema }).strict(),
  "participant:demote": z.object({ classId, user: userIdSchema }).strict(),
  "participant:remove": z.object({ classId, user: userIdSchema }).strict(),
} as const;

export type ClassEvent = keyof typeof classInbound;
export type ClassPayload<E extends ClassEvent> = z.infer<(typeof classInbound)[E]>;

/** host: the class's teacher; cohost: other staff; speaker: a promoted student; student. */
export type ClassRole = "host" | "cohost" | "speaker" | "student";
export const PUBLISHING_ROLES: ReadonlySet<ClassRole> = new Set(["host", "cohost", "speaker"]);
export const MODERATING_ROLES: ReadonlySet<ClassRole> = new Set(["host", "cohost"]);

export interface ParticipantView {
  user: string;
  role: ClassRole;
  handRaised: boolean;
}

export interface HandView {
  user: string;
  raisedAt: string;
  acknowledged: boolean;
}

export interface ProducerView {
  id: string;
  user: string;
  kind: "audio" | "video";
  source: MediaSource;
  paused: boolean;
  muted: boolean;
}

export interface TransportView {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: Array<{ foundation: string; priority: number; address: string; ip?: string; port: number; protocol: "udp" | "tcp"; type: string; tcpType?: string }>;
  dtlsParameters: { role?: string; fingerprints: Array<{ algorithm: string; value: string }> };
}

export interface ConsumerView {
  id: string;
  producerId: string;
  user: string;
  kind: "audio" | "video";
  source: MediaSource;
  rtpParameters: z.infer<typeof rtpParametersSchema> & Record<string, unknown>;
  producerPaused: boolean;
}

export interface ClassJoined {
  classId: string;
  role: ClassRole;
  started: boolean;
  participants: ParticipantView[];
  hands: HandView[];
  producers: ProducerView[];
  /** When the class is being recorded: since when (the visible recording indicator); absent or null otherwise. */
  recordingStartedAt?: string | null;
}

/** Whether a class is being recorded (the answer to `class:record`, and the `class:recording` push). */
export interface RecordingState {
  classId: string;
  recording: boolean;
  /** Start of the current recording; null when not recording. */
  startedAt: string | null;
}

export type ClassAck<T> = T | { error: ErrorBody };

export interface ClassAcks {
  "class:capabilities": { rtpCapabilities: Record<string, unknown> };
  "class:join": ClassJoined;
  "class:leave": { classId: string };
  "class:start": { classId: string; startedAt: string };
  "class:end": { classId: string; endedAt: string };
  "class:record": RecordingState;
  "transport:create": TransportView;
  "transport:connect": { transportId: string };
  "transport:restartIce": { iceParameters: TransportView["iceParameters"] };
  "producer:create": { producerId: string };
  "producer:pause": { producerId: string };
  "producer:resume": { producerId: string };
  "producer:close": { producerId: string };
  "producer:mute": { producerId: string };
  "consumer:resume": { consumerId: string };
  "consumer:setPreferredLayers": { consumerId: string };
  "hand:raise": { hands: HandView[] };
  "hand:lower": { hands: HandView[] };
  "hand:acknowledge": { hands: HandView[] };
  "participant:promote": { user: string; role: ClassRole };
  "participant:demote": { user: string; role: ClassRole };
  "participant:remove": { user: string };
}

/**
 * Why `class:rejoin` asks a client to rebuild its transports and join again (docs/PROTOCOL.md):
 * - `media-worker-failed`: the class's mediasoup worker died; the class reopens on the same media node;
 * - `media-node-lost`: the media node hosting the class stopped serving (killed, cut off); the class moves
 *   to another media node, with its roles, hands and removals;
 * - `media-node-superseded`: the class was taken over by another media node while this one still served
 *   it (it had been thought dead); join again to reach the new one.
 */
export type RejoinReason = "media-worker-failed" | "media-node-lost" | "media-node-superseded";

/** Server → client pushes on `/class`. */
export interface ClassPushes {
  "class:participant": { classId: string; user: string; role: ClassRole; action: "joined" | "left" | "updated" };
  "class:hands": { classId: string; hands: HandView[] };
  "class:started": { classId: string; startedAt: string };
  "class:ended": { classId: string; endedAt: string };
  /** Recording started or stopped: every participant shows (or hides) the recording indicator. */
  "class:recording": RecordingState;
  "class:removed": { classId: string; by: string };
  "class:rejoin": { classId: string; reason: RejoinReason };
  "media:newConsumer": { classId: string; consumer: ConsumerView };
  "media:consumerClosed": { classId: string; consumerId: string };
  "media:consumerPaused": { classId: string; consumerId: string; paused: boolean };
  "media:producerMuted": { classId: string; producerId: string; by: string };
  "media:producerClosed": { classId: string; producerId: string };
  "media:activeSpeaker": { classId: string; user: string; producerId: string };
  "media:score": { classId: string; kind: "producer" | "consumer"; id: string; score: number };
  "app:error": { event: string; error: ErrorBody };
}

/** Who asks, as the realtime node that holds the socket vouches for it. */
export interface Caller {
  user: string;
  /** The caller's token role is staff (teacher or an admin role): a co-teacher unless the class's own teacher. */
  staff: boolean;
  socketId: string;
  /**
   * The realtime node holding the socket. A media node reaps connections whose node stopped
   * heartbeating (their attendance closes); absent from nodes of an older version (never reaped).
   */
  node?: string;
}

/**
 * The operations of a media node: every `/class` request, plus `peer:gone` (a socket of the class
 * disconnected), each with the schema of its payload.
 */
export const mediaPayloads = { ...classInbound, "peer:gone": z.object({ classId }).strict() } as const;
export type MediaOp = keyof typeof mediaPayloads;
export type MediaPayload<O extends MediaOp> = z.infer<(typeof mediaPayloads)[O]>;
/** The answer of each media operation (what the realtime node relays as the `/class` ack). */
export type MediaAcks = ClassAcks & { "peer:gone": { classId: string } };

/**
 * A signaling request forwarded by the realtime node holding the caller's socket, as it travels
 * (JSON over the media RPC): the realtime node validated the payload, and the media node parses it
 * again with `mediaPayloads[op]` into a `MediaCall` (it may come from a node of another version).
 */
export interface MediaRequest {
  op: MediaOp;
  tenant: string;
  classId: string;
  caller: Caller;
  /** The class as stored (sent with class:capabilities and class:join, which may open the session). */
  klass?: { teacher: string; startedAt: string | null; endedAt: string | null };
  payload: Record<string, unknown>;
}

/** A media request whose payload was parsed with its operation's schema. */
export type MediaCall<O extends MediaOp> = Omit<MediaRequest, "op" | "payload"> & { op: O; payload: MediaPayload<O> };

/**
 * How a class (on its media node) reaches participants connected to any realtime node: through the
 * `/class` namespace's adapter (Redis in a cluster). At most once, like any Socket.IO emit.
 */
export interface ClassOutbox {
  toPeer<E extends keyof ClassPushes>(socketId: string, event: E, payload: ClassPushes[E]): void;
  toClass<E extends keyof ClassPushes>(tenant: string, classId: string, event: E, payload: ClassPushes[E]): void;
  /** Stops a socket (on whichever node) from receiving the class's pushes. */
  detach(socketId: string, tenant: string, classId: string): void;
}

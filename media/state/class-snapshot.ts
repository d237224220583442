import type { ClassRole, HandView, MediaSource } from "../../core/class-signaling";

/** A participant as stored: role, and the connections whose attendance is open (socket id → realtime node). */
export interface SnapshotParticipant {
  role: ClassRole;
  /** Connections in the class when the snapshot was written; `null`: realtime node unknown. */
  peers: Record<string, string | null>;
}

/** A teacher's mute of one user's producer, kept by what it publishes (producer ids do not survive a move). */
export interface SnapshotMute {
  user: string;
  kind: "audio" | "video";
  source: MediaSource;
  by: string;
}

/**
 * The state of one live class that must outlive its media node, as a plain JSON object (ClassStateStore
 * stores it as is). Fields are added, never renamed: a reader treats a missing field as its empty value
 * (`restoreSnapshot` below), so a newer node can read an older node's snapshot and the other way round
 * (an older node keeps the fields it knows and drops the others on its next write).
 */
export interface ClassSnapshot {
  /** Format version; 1 today. */
  v: 1;
  participants: Record<string, SnapshotParticipant>;
  /** The hand-raise queue, in order. */
  hands: HandView[];
  /** Users removed by a teacher: a rejoin is refused (4007). */
  removed: string[];
  mutes: SnapshotMute[];
  /** The class's start (ISO), or null before class:start. */
  startedAt: string | null;
  /** The recording in progress (started at, ISO; its RecordingStore session when known), or null. */
  recording: { startedAt: string; sessionId?: string } | null;
}

/** An empty snapshot (a class nobody has joined). */
export function emptySnapshot(): ClassSnapshot {
  return { v: 1, participants: {}, hands: [], removed: [], mutes: [], startedAt: null, recording: null };
}

/** Reads a stored snapshot: unknown fields are dropped, missing ones take their empty value. */
export function restoreSnapshot(stored: Partial<ClassSnapshot>): ClassSnapshot {
  const base = emptySnapshot();
  return {
    v: 1,
    participants: stored.participants ?? base.participants,
    hands: stored.hands ?? base.hands,
    removed: stored.removed ?? base.removed,
    mutes: stored.mutes ?? base.mutes,
    startedAt: stored.startedAt ?? base.startedAt,
    recording: stored.recording ?? base.recording,
  };
}

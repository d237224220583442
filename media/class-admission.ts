import { AppError, ErrorCode } from "../core/errors";

/** One connection waiting to be admitted to a class. */
export interface WaitingEntry {
  user: string;
  socketId: string;
  /** The realtime node holding the socket, when known. */
  node?: string;
  /** When the connection knocked (ISO time). */
  since: string;
}

/**
 * A class's waiting room (docs/CLASSES.md "Waiting room"), as plain JSON so it can be persisted with the
 * rest of the class's state: who waits (one entry per connection), who was admitted or denied in this
 * class session (by user: an admitted user's other devices join directly, a denied user's are refused).
 */
export interface AdmissionState {
  waiting: WaitingEntry[];
  admitted: string[];
  denied: string[];
}

/** What `class:join` does with a caller: join now, wait for a teacher, or refuse (denied earlier). */
export type AdmissionVerdict = "join" | "wait" | "denied";

export const emptyAdmission = (): AdmissionState => ({ waiting: [], admitted: [], denied: [] });

/**
 * The verdict for a student's `class:join`: on the roster or admitted earlier → join; denied earlier (and
 * not on the roster since) → denied; else wait. Teachers and staff never reach this (they join directly).
 */
export function admissionOf(state: AdmissionState, user: string, onRoster: boolean): AdmissionVerdict {
  if (onRoster || state.admitted.includes(user)) return "join";
  if (state.denied.includes(user)) return "denied";
  return "wait";
}

/** The connection waits (again: its earlier entry is replaced, keeping its place in the queue). */
export function enqueue(state: AdmissionState, entry: WaitingEntry): AdmissionState {
  const earlier = state.waiting.find((w) => w.socketId === entry.socketId);
  if (earlier) return { ...state, waiting: state.waiting.map((w) => (w.socketId === entry.socketId ? { ...entry, since: earlier.since } : w)) };
  return { ...state, waiting: [...state.waiting, entry] };
}

/**
 * A teacher's answer for `user`: every waiting connection of theirs leaves the queue (returned, to be told),
 * and the user is remembered as admitted or denied for this class session. 4000 when the user is not waiting.
 */
export function decide(state: AdmissionState, user: string, action: "admit" | "deny"): { state: AdmissionState; told: WaitingEntry[] } {
  const told = state.waiting.filter((w) => w.user === user);
  if (told.length === 0) throw new AppError(ErrorCode.NotFound, `${user} is not in the waiting room`);
  const admitted = action === "admit" ? [...new Set([...state.admitted, user])] : state.admitted.filter((u) => u !== user);
  const denied = action === "deny" ? [...new Set([...state.denied, user])] : state.denied.filter((u) => u !== user);
  return { state: { waiting: state.waiting.filter((w) => w.user !== user), admitted, denied }, told };
}

/** A waiting connection went away (left, disconnected); `removed` false when it was not waiting. */
export function dropSocket(state: AdmissionState, socketId: string): { state: AdmissionState; removed: boolean } {
  const waiting = state.waiting.filter((w) => w.socketId !== socketId);
  return { state: { ...state, waiting }, removed: waiting.length !== state.waiting.length };
}

/** The waiting list as teachers see it: one row per user (their first knock), in queue order. */
export function waitingList(state: AdmissionState): Array<{ user: string; since: string }> {
  const seen = new Set<string>();
  const out: Array<{ user: string; since: string }> = [];
  for (const w of state.waiting) {
    if (seen.has(w.user)) continue;
    seen.add(w.user);
    out.push({ user: w.user, since: w.since });
  }
  return out;
}

/** 1-based place of the user in the waiting list (0 when not waiting). */
export function positionOf(state: AdmissionState, user: string): number {
  return waitingList(state).findIndex((w) => w.user === user) + 1;
}

import type { types } from "mediasoup";
import {
  MODERATING_ROLES,
  PUBLISHING_ROLES,
  type Caller,
  type ClassAcks,
  type ClassJoined,
  type ClassOutbox,
  type ClassPayload,
  type ClassRole,
  type HandView,
  type ProducerView,
  type RecordingState,
} from "../core/class-signaling";
import { AppError, ErrorCode } from "../core/errors";
import type { ClassMedia } from "./class-media";
import type { RecordingSources } from "./class-recording";
import type { ClassSnapshot, SnapshotMute } from "./state/class-snapshot";

/** A recording in progress, as the session sees it. */
export interface RecordingHandle {
  /** The recording session (its parts' `sessionId` in the RecordingStore). */
  readonly sessionId?: string;
  stop(): Promise<void>;
}

export interface ClassSessionDeps {
  outbox: ClassOutbox;
  /** Records a join or leave of one connection through the event pipeline; resolves once accepted. */
  attendance(user: string, kind: "joined" | "left"): Promise<void>;
  /** Persists the class's start or end. */
  lifecycle(kind: "started" | "ended", at: Date): Promise<void>;
  /** Starts recording these producers; absent when this media node does not record. */
  startRecording?(sources: RecordingSources): Promise<RecordingHandle>;
  /** Reports a failure of a recording that goes on in the background (stop, storing the file). */
  onRecordingError?(err: unknown): void;
  /**
   * Stores the class's state (ClassStateStore.save with the session's claim); false: another media node
   * claimed the class since, and this session must stop serving it. Absent: the state is not kept.
   */
  saveState?(snapshot: ClassSnapshot): Promise<boolean>;
  /** A save failed (the store is unreachable): the session goes on, its state only in memory until the next save. */
  onStateError?(err: unknown): void;
  /** A save was refused: another node took the class over (the session is retired already). */
  onSuperseded?(): void;
  /** Forgets the class's stored state (the class ended). */
  dropState?(): Promise<void>;
}

interface Participant {
  role: ClassRole;
  /** The participant's connections in the class: socket id → the realtime node holding it (when known). */
  peers: Map<string, string | undefined>;
}

/**
 * One live class on its media node: participants and their roles, the hand-raise queue, who may
 * publish, start and end. Every signaling request passes through here and is checked against the
 * caller's current role, so promotions and demotions act on the next request.
 *
 * State that survives the node: after every change the session saves its snapshot (`deps.saveState`) and
 * answers the request once that save is done, so an acknowledged change is in the store. A session opened
 * with a stored snapshot (the class moved here from a dead media node, or its worker died) starts from it:
 * roles, hands, removals, mutes, start and recording; the connections of the snapshot stay in the class
 * (their attendance open) while they come back, and leave as usual if they do not (`releaseCarried`).
 */
export class ClassSession {
  private readonly participants = new Map<string, Participant>();
  private readonly removed = new Set<string>();
  private readonly muted = new Map<string, string>();
  private hands: HandView[] = [];
  private startedAt: string | null;
  private ended = false;
  private recording: { startedAt: string; handle: Promise<RecordingHandle>; sessionId?: string } | undefined;
  /** Connections restored from the snapshot that have not joined here yet. */
  private readonly carried = new Set<string>();
  /** Mutes restored from the snapshot, applied to the user's next producer of that kind and source. */
  private carriedMutes: SnapshotMute[] = [];
  /** The recording the snapshot says was running (on the node that died), to be resumed here. */
  private interrupted: { startedAt: string; sessionId?: string } | undefined;
  /** No more saves, no more media: the session lost its class (worker died, another node took over). */
  private retired = false;
  private saving: Promise<void> = Promise.resolve();
  private pendingSave: Promise<void> | undefined;

  constructor(
    readonly tenant: string,
    readonly classId: string,
    private readonly teacher: string,
    startedAt: string | null,
    readonly media: ClassMedia,
    private readonly deps: ClassSessionDeps,
    restored: ClassSnapshot | null = null,
  ) {
    this.startedAt = restored?.startedAt ?? startedAt;
    if (restored) this.restore(restored);
  }

  private restore(snap: ClassSnapshot): void {
    for (const [user, sp] of Object.entries(snap.participants)) {
      const peers = new Map<string, string | undefined>();
      for (const [socketId, node] of Object.entries(sp.peers)) {
        peers.set(socketId, node ?? undefined);
        this.carried.add(socketId);
      }
      this.participants.set(user, { role: sp.role, peers });
    }
    this.hands = [...snap.hands];
    for (const user of snap.removed) this.removed.add(user);
    this.carriedMutes = [...snap.mutes];
    if (snap.recording) this.interrupted = { ...snap.recording };
  }

  /** The class's state as a plain object (what `deps.saveState` stores). */
  snapshot(): ClassSnapshot {
    const live: SnapshotMute[] = [];
    for (const [producerId, by] of this.muted) {
      const pr = this.media.producerList().find((p) => p.id === producerId);
      const data = pr?.appData as { user: string; source: ProducerView["source"] } | undefined;
      if (pr && data) live.push({ user: data.user, kind: pr.kind, source: data.source, by });
    }
    const recording = this.recording ?? this.interrupted;
    return {
      v: 1,
      participants: Object.fromEntries([...this.participants].map(([user, p]) => [user, { role: p.role, peers: Object.fromEntries([...p.peers].map(([s, n]) => [s, n ?? null])) }])),
      hands: this.hands,
      removed: [...this.removed],
      mutes: [...live, ...this.carriedMutes],
      startedAt: this.startedAt,
      recording: recording ? { startedAt: recording.startedAt, ...(recording.sessionId ? { sessionId: recording.sessionId } : {}) } : null,
    };
  }

  /**
   * Saves the snapshot; resolves once a save that includes every change made so far is done. Saves run one
   * at a time and changes made while one runs are written together by the next. Never rejects: a failed
   * save is reported (`onStateError`), a refused one retires the session (`onSuperseded`).
   */
  persist(): Promise<void> {
    const save = this.deps.saveState;
    if (!save || this.retired) return Promise.resolve();
    if (this.pendingSave) return this.pendingSave;
    const next = this.saving.then(async () => {
      this.pendingSave = undefined;
      if (this.retired) return;
      try {
        if (!(await save(this.snapshot()))) {
          this.retire();
          this.deps.onSuperseded?.();
        }
      } catch (err) {
        this.deps.onStateError?.(err);
      }
    });
    this.pendingSave = next;
    this.saving = next;
    return next;
  }

  /**
   * The session stops serving its class without touching the class's state: no more saves, the recording
   * stops (its part is stored), the media closes. Attendance stays open: the class goes on elsewhere.
   */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    const recording = this.recording;
    this.recording = undefined;
    recording?.handle.then((h) => h.stop()).catch((err: unknown) => this.deps.onRecordingError?.(err));
    this.media.close();
  }

  get isRetired(): boolean {
    return this.retired;
  }

  /** Every connection in the class (socket ids). */
  peerIds(): string[] {
    return [...this.participants.values()].flatMap((p) => [...p.peers.keys()]);
  }

  /** Connections of the snapshot that did not come back leave the class (attendance closed). Returns how many. */
  async releaseCarried(): Promise<number> {
    let left = 0;
    if (this.retired) return 0;
    for (const socketId of [...this.carried]) {
      this.carried.delete(socketId);
      const user = [...this.participants].find(([, p]) => p.peers.has(socketId))?.[0];
      if (user !== undefined && (await this.leave(user, socketId))) left++;
    }
    return left;
  }

  /** The recording the snapshot said was running (its node died) and that is not resumed yet. */
  get interruptedRecording(): { startedAt: string; sessionId?: string } | undefined {
    return this.interrupted;
  }

  /**
   * Resumes the recording the snapshot said was running, as a new recording session of the class (its first
   * part here), once something is published again; told to the class as `class:recording`. A failure is
   * reported and the class is told the recording stopped.
   */
  async resumeRecording(): Promise<boolean> {
    const was = this.interrupted;
    const start = this.deps.startRecording;
    if (!was || this.recording || this.retired || this.ended || !start) return false;
    const sources = this.recordingSources();
    if (!sources.video && sources.audio.length === 0) return false;
    this.interrupted = undefined;
    const recording: NonNullable<ClassSession["recording"]> = { startedAt: new Date().toISOString(), handle: start(sources) };
    this.recording = recording;
    try {
      recording.sessionId = (await recording.handle).sessionId;
    } catch (err) {
      if (this.recording === recording) this.recording = undefined;
      this.deps.onRecordingError?.(err);
      this.deps.outbox.toClass(this.tenant, this.classId, "class:recording", this.recordingState());
      await this.persist();
      return false;
    }
    if (this.recording !== recording) return false;
    this.deps.outbox.toClass(this.tenant, this.classId, "class:recording", this.recordingState());
    await this.persist();
    return true;
  }

  private roleOf(user: string): ClassRole | undefined {
    return this.participants.get(user)?.role;
  }

  private require(caller: Caller, roles: ReadonlySet<ClassRole>, code: 2003 | 2005 = ErrorCode.Forbidden): ClassRole {
    const p = this.participants.get(caller.user);
    if (!p?.peers.has(caller.socketId)) throw new AppError(ErrorCode.NotInClass, "join the class first");
    if (!roles.has(p.role)) throw new AppError(code, code === ErrorCode.NotSpeaker ? "students publish once a teacher promotes them" : "only the class's teachers may do this");
    return p.role;
  }

  /** Throws 4006 unless the caller's connection is in the class. */
  controlGuard(caller: Caller): ClassRole {
    return this.member(caller);
  }

  private member(caller: Caller): ClassRole {
    return this.require(caller, new Set(["host", "cohost", "speaker", "student"]));
  }

  private pushHands(): HandView[] {
    this.deps.outbox.toClass(this.tenant, this.classId, "class:hands", { classId: this.classId, hands: this.hands });
    return this.hands;
  }

  private setRole(user: string, role: ClassRole): void {
    const p = this.participants.get(user);
    if (!p) throw new AppError(ErrorCode.NotInClass, `${user} is not in this class`);
    p.role = role;
    this.deps.outbox.toClass(this.tenant, this.classId, "class:participant", { classId: this.classId, user, role, action: "updated" });
  }

  async join(caller: Caller, rtpCapabilities: types.RtpCapabilities): Promise<ClassJoined> {
    if (this.ended) throw new AppError(ErrorCode.ClassEnded, "the class has ended");
    if (this.removed.has(caller.user)) throw new AppError(ErrorCode.RemovedFromClass, "a teacher removed you from this class");
    const role = this.roleOf(caller.user) ?? (caller.user === this.teacher ? "host" : caller.staff ? "cohost" : "student");
    const p = this.participants.get(caller.user) ?? { role, peers: new Map<string, string | undefined>() };
    this.participants.set(caller.user, p);
    const first = p.peers.size === 0;
    const again = p.peers.has(caller.socketId);
    p.peers.set(caller.socketId, caller.node);
    this.media.addPeer(caller.socketId, caller.user, rtpCapabilities);
    // A connection joining again (restarting its media, or coming back after the class moved here) is not a new attendance session.
    this.carried.delete(caller.socketId);
    if (!again) await this.deps.attendance(caller.user, "joined");
    if (first) this.deps.outbox.toClass(this.tenant, this.classId, "class:participant", { classId: this.classId, user: caller.user, role, action: "joined" });
    await this.persist();
    return {
      classId: this.classId,
      role,
      started: this.startedAt !== null,
      participants: [...this.participants].filter(([, v]) => v.peers.size > 0).map(([user, v]) => ({ user, role: v.role, handRaised: this.hands.some((h) => h.user === user) })),
      hands: this.hands,
      producers: this.media.producerList().map((pr) => this.producerView(pr)),
      recordingStartedAt: this.recording?.startedAt ?? this.interrupted?.startedAt ?? null,
    };
  }

  private producerView(pr: types.Producer): ProducerView {
    const data = pr.appData as { user: string; source: ProducerView["source"] };
    return { id: pr.id, user: data.user, kind: pr.kind, source: data.source, paused: pr.paused, muted: this.muted.has(pr.id) };
  }

  /** A connection leaves (request, disconnect or removal); true when it was in the class. */
  async leave(user: string, socketId: string): Promise<boolean> {
    const p = this.participants.get(user);
    if (!p?.peers.delete(socketId)) return false;
    this.carried.delete(socketId);
    this.media.removePeer(socketId);
    this.deps.outbox.detach(socketId, this.tenant, this.classId);
    if (p.peers.size === 0) {
      const hadHand = this.hands.some((h) => h.user === user);
      this.hands = this.hands.filter((h) => h.user !== user);
      this.deps.outbox.toClass(this.tenant, this.classId, "class:participant", { classId: this.classId, user, role: p.role, action: "left" });
      if (hadHand) this.pushHands();
    }
    await this.deps.attendance(user, "left");
    await this.persist();
    return true;
  }

  /**
   * Connections held by realtime nodes that `alive` says are gone (killed, cut off: they stopped
   * heartbeating) leave as if their sockets had disconnected: attendance closes, hands drop, the class is
   * told. Each node is asked once per call. Returns how many connections left.
   */
  async reapPeers(alive: (node: string) => Promise<boolean>): Promise<number> {
    const verdicts = new Map<string, Promise<boolean>>();
    const isAlive = (node: string): Promise<boolean> => {
      let v = verdicts.get(node);
      if (!v) verdicts.set(node, (v = alive(node).catch(() => true))); // unknown: keep the connection
      return v;
    };
    const gone: Array<[string, string]> = [];
    for (const [user, p] of this.participants) {
      for (const [socketId, node] of p.peers) if (node !== undefined && !(await isAlive(node))) gone.push([user, socketId]);
    }
    let left = 0;
    for (const [user, socketId] of gone) if (await this.leave(user, socketId)) left++;
    return left;
  }

  get empty(): boolean {
    return [...this.participants.values()].every((p) => p.peers.size === 0);
  }

  async start(caller: Caller): Promise<ClassAcks["class:start"]> {
    this.require(caller, MODERATING_ROLES);
    if (!this.startedAt) {
      const at = new Date();
      await this.deps.lifecycle("started", at);
      this.startedAt = at.toISOString();
      this.deps.outbox.toClass(this.tenant, this.classId, "class:started", { classId: this.classId, startedAt: this.startedAt });
      await this.persist();
    }
    return { classId: this.classId, startedAt: this.startedAt };
  }

  /** Ends the class for everyone: media closed, every connection leaves (attendance), later joins refused. */
  async end(caller: Caller): Promise<ClassAcks["class:end"]> {
    this.require(caller, MODERATING_ROLES);
    const at = new Date();
    await this.deps.lifecycle("ended", at);
    this.ended = true;
    this.deps.outbox.toClass(this.tenant, this.classId, "class:ended", { classId: this.classId, endedAt: at.toISOString() });
    await this.disband();
    this.retired = true;
    await this.deps.dropState?.().catch((err: unknown) => this.deps.onStateError?.(err));
    return { classId: this.classId, endedAt: at.toISOString() };
  }

  private recordingState(): RecordingState {
    return { classId: this.classId, recording: this.recording !== undefined, startedAt: this.recording?.startedAt ?? null };
  }

  /**
   * `class:record` (host or cohost of a started class). Start records the teacher's screen (else camera,
   * else any video) and every audio producer of the moment; both start and stop are idempotent and pushed
   * to the whole class as `class:recording`. Stop answers at once: the file is finished and stored after.
   */
  async record(caller: Caller, action: "start" | "stop"): Promise<RecordingState> {
    this.require(caller, MODERATING_ROLES);
    if (action === "stop") {
      this.stopRecording();
      await this.persist();
      return this.recordingState();
    }
    if (this.recording) return this.recordingState();
    if (!this.startedAt) throw new AppError(ErrorCode.ClassNotLive, "the class has not started");
    const start = this.deps.startRecording;
    if (!start) throw new AppError(ErrorCode.MediaUnavailable, "this media node does not record classes");
    const sources = this.recordingSources();
    if (!sources.video && sources.audio.length === 0) throw new AppError(ErrorCode.Conflict, "nothing to record: nobody in the class is publishing");
    const recording: NonNullable<ClassSession["recording"]> = { startedAt: new Date().toISOString(), handle: start(sources) };
    this.recording = recording;
    this.interrupted = undefined;
    try {
      recording.sessionId = (await recording.handle).sessionId;
    } catch (err) {
      if (this.recording === recording) this.recording = undefined;
      throw err instanceof AppError ? err : new AppError(ErrorCode.MediaUnavailable, `the recorder did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.recording !== recording) return this.recordingState();
    this.deps.outbox.toClass(this.tenant, this.classId, "class:recording", this.recordingState());
    await this.persist();
    return this.recordingState();
  }

  private recordingSources(): RecordingSources {
    const producers = this.media.producerList();
    const rank = (pr: (typeof producers)[number]) => (pr.appData.user === this.teacher ? 0 : 2) + (pr.appData.source === "screen" ? 0 : 1);
    const video = producers.filter((pr) => pr.kind === "video").sort((a, b) => rank(a) - rank(b))[0];
    return { video, audio: producers.filter((pr) => pr.kind === "audio") };
  }

  /** Stops the recording, if any (told to the class); its file is finished and stored in the background. */
  stopRecording(): void {
    this.interrupted = undefined;
    const recording = this.recording;
    if (!recording) return;
    this.recording = undefined;
    this.deps.outbox.toClass(this.tenant, this.classId, "class:recording", this.recordingState());
    recording.handle.then((h) => h.stop()).catch((err: unknown) => this.deps.onRecordingError?.(err));
  }

  /** Every connection leaves and the media closes (end of class, or its worker died). */
  async disband(): Promise<void> {
    this.stopRecording();
    for (const [user, p] of this.participants) for (const socketId of [...p.peers.keys()]) await this.leave(user, socketId).catch(() => undefined);
    this.media.close();
  }

  async produce(caller: Caller, input: ClassPayload<"producer:create">): Promise<string> {
    this.require(caller, PUBLISHING_ROLES, ErrorCode.NotSpeaker);
    if (!this.startedAt) throw new AppError(ErrorCode.ClassNotLive, "the class has not started");
    const id = await this.media.produce(caller.socketId, input.transportId, { kind: input.kind, source: input.source, rtpParameters: input.rtpParameters as types.RtpParameters });
    const mute = this.carriedMutes.find((m) => m.user === caller.user && m.kind === input.kind && m.source === input.source);
    if (mute) {
      // a teacher's mute from before the class moved holds for the re-published track
      this.carriedMutes = this.carriedMutes.filter((m) => m !== mute);
      await this.media.producer(id).pause();
      this.muted.set(id, mute.by);
      this.deps.outbox.toClass(this.tenant, this.classId, "media:producerMuted", { classId: this.classId, producerId: id, by: mute.by });
      await this.persist();
    }
    return id;
  }

  /** pause / resume / close of a producer by its owner, or by a teacher (a producer a teacher muted stays paused for its owner). */
  async controlProducer(caller: Caller, producerId: string, action: "pause" | "resume" | "close" | "mute"): Promise<void> {
    const role = this.member(caller);
    const producer = this.media.producer(producerId);
    const owner = (producer.appData as { user: string }).user;
    const moderator = MODERATING_ROLES.has(role);
    if (owner !== caller.user && !moderator) throw new AppError(ErrorCode.Forbidden, "not your producer");
    if (action === "mute") {
      if (!moderator) throw new AppError(ErrorCode.Forbidden, "only the class's teachers may mute");
      await producer.pause();
      this.muted.set(producerId, caller.user);
      this.deps.outbox.toClass(this.tenant, this.classId, "media:producerMuted", { classId: this.classId, producerId, by: caller.user });
      await this.persist();
    } else if (action === "resume") {
      if (this.muted.has(producerId) && !moderator) throw new AppError(ErrorCode.Muted, "a teacher muted this producer");
      const wasMuted = this.muted.delete(producerId);
      await producer.resume();
      if (wasMuted) await this.persist();
    } else if (action === "pause") await producer.pause();
    else {
      producer.close();
      const wasMuted = this.muted.delete(producerId);
      this.deps.outbox.toClass(this.tenant, this.classId, "media:producerClosed", { classId: this.classId, producerId });
      if (wasMuted) await this.persist();
    }
  }

  async raiseHand(caller: Caller): Promise<HandView[]> {
    this.member(caller);
    if (!this.hands.some((h) => h.user === caller.user)) this.hands = [...this.hands, { user: caller.user, raisedAt: new Date().toISOString(), acknowledged: false }];
    await this.persist();
    return this.pushHands();
  }

  async lowerHand(caller: Caller, user: string = caller.user): Promise<HandView[]> {
    if (user !== caller.user) this.require(caller, MODERATING_ROLES);
    else this.member(caller);
    this.hands = this.hands.filter((h) => h.user !== user);
    await this.persist();
    return this.pushHands();
  }

  async acknowledgeHand(caller: Caller, user: string): Promise<HandView[]> {
    this.require(caller, MODERATING_ROLES);
    if (!this.hands.some((h) => h.user === user)) throw new AppError(ErrorCode.NotFound, `${user} has no raised hand`);
    this.hands = this.hands.map((h) => (h.user === user ? { ...h, acknowledged: true } : h));
    await this.persist();
    return this.pushHands();
  }

  async promote(caller: Caller, user: string): Promise<ClassAcks["participant:promote"]> {
    this.require(caller, MODERATING_ROLES);
    if (this.roleOf(user) !== "student") throw new AppError(ErrorCode.Conflict, `${user} is not a student in this class`);
    this.setRole(user, "speaker");
    if (this.hands.some((h) => h.user === user)) {
      this.hands = this.hands.filter((h) => h.user !== user);
      this.pushHands();
    }
    await this.persist();
    return { user, role: "speaker" };
  }

  /** Back to student: the user's producers close at once. */
  async demote(caller: Caller, user: string): Promise<ClassAcks["participant:demote"]> {
    this.require(caller, MODERATING_ROLES);
    if (this.roleOf(user) !== "speaker") throw new AppError(ErrorCode.Conflict, `${user} is not a speaker in this class`);
    this.setRole(user, "student");
    this.closeProducersOf(user);
    await this.persist();
    return { user, role: "student" };
  }

  private closeProducersOf(user: string): void {
    for (const pr of this.media.producerList()) {
      if ((pr.appData as { user: string }).user !== user) continue;
      pr.close();
      this.deps.outbox.toClass(this.tenant, this.classId, "media:producerClosed", { classId: this.classId, producerId: pr.id });
    }
  }

  /** Removes a participant: every connection leaves and is told; rejoining this class is refused (4007). */
  async remove(caller: Caller, user: string): Promise<void> {
    this.require(caller, MODERATING_ROLES);
    if (user === this.teacher) throw new AppError(ErrorCode.Forbidden, "the class's teacher cannot be removed");
    const p = this.participants.get(user);
    if (!p || p.peers.size === 0) throw new AppError(ErrorCode.NotInClass, `${user} is not in this class`);
    this.removed.add(user);
    await this.persist();
    for (const socketId of [...p.peers.keys()]) {
      this.deps.outbox.toPeer(socketId, "class:removed", { classId: this.classId, by: caller.user });
      await this.leave(user, socketId);
    }
  }
}

import { isInterlinkedError } from "../../sdk/src/errors";
import { ClassClient, openCamera, openMic, openScreen, type MediaSource, type ParticipantView } from "../../sdk/src/class/index";
import { attendance, getClass, type AttendanceRow } from "./api";
import { ClassChat } from "./chat";
import { button, byId, download, el, message, notice, setStatus } from "./dom";
import { inbound, Stage, type ReceivedStats } from "./tiles";

export interface Session {
  tenant: string;
  user: string;
  role: string;
  token: string;
}

const STAFF = new Set(["teacher", "admin", "school_admin", "super_admin"]);

/** What the page exposes on `window.interlinkedClassroom` for tests and debugging. */
export interface ClassroomHandle {
  client: ClassClient;
  received(): Promise<ReceivedStats[]>;
  /** outbound-rtp entries of the published camera: one per simulcast layer that is sending. */
  cameraLayers(): Promise<Array<{ rid: string; frameWidth: number; framesEncoded: number }>>;
}

/** Attendance as CSV; a class with a roster adds the status column (member, absent, guest; docs/CLASSES.md). */
const toCsv = (rows: AttendanceRow[]): string => {
  const roster = rows.some((r) => r.status);
  const head = "user,firstJoin,lastLeave,secondsPresent,reconnects,present" + (roster ? ",status" : "");
  const line = (r: AttendanceRow): string => [r.user, r.firstJoin ?? "", r.lastLeave ?? "", r.secondsPresent, r.reconnects, r.present, ...(roster ? [r.status ?? ""] : [])].join(",");
  return [head, ...rows.map(line)].join("\n") + "\n";
};

/** The class view: joins `classId` and wires every control of the page to the ClassClient. */
export async function openClassroom(session: Session, classId: string): Promise<ClassroomHandle> {
  byId("classroom").hidden = false;
  const klass = await getClass(session.token, classId);
  byId("class-title").textContent = klass.title;
  const link = byId<HTMLAnchorElement>("join-link");
  link.href = `${location.origin}/classroom/?class=${classId}`;
  link.textContent = link.href;

  const client = await ClassClient.connect(location.origin, session.token, classId);
  // A node behind nginx prefixes its session ids with its STICKY_ROUTE ("n1.…"); a single node does not.
  const sid = String(client.socket.io.engine.id ?? "");
  byId("node-route").textContent = sid.includes(".") ? (sid.split(".")[0] ?? "") : "single";
  const stage = new Stage(byId("videos"), byId("audios"), (consumerId, layer) => {
    client.setPreferredLayers(consumerId, layer).catch((err: unknown) => setStatus(`quality: ${message(err)}`));
  });
  const state = byId("class-state");
  const setState = (s: string): void => {
    state.textContent = s;
    document.body.dataset.classState = s;
  };
  const staff = STAFF.has(session.role);
  const moderator = (): boolean => client.role === "host" || client.role === "cohost";
  const publisher = (): boolean => moderator() || client.role === "speaker";

  const renderRole = (): void => {
    byId("my-role").textContent = client.role;
    document.body.classList.toggle("is-moderator", moderator());
    document.body.classList.toggle("is-publisher", publisher());
    document.body.classList.toggle("is-student", !moderator());
  };

  const renderParticipants = (list: ParticipantView[]): void => {
    const ul = byId("participants");
    ul.replaceChildren(
      ...[...list]
        .sort((a, b) => a.user.localeCompare(b.user))
        .map((p) => {
          const li = el("li", { testid: `participant-${p.user}` });
          li.append(el("span", { class: "name" }, p.user + (p.user === session.user ? " (you)" : "")), " ", el("span", { testid: `role-${p.user}`, class: `role role-${p.role}` }, p.role));
          if (p.handRaised) li.append(" ", el("span", { "aria-label": "hand raised", role: "img" }, "✋"));
          if (moderator() && p.user !== session.user && p.role !== "host") {
            const actions = el("span", { class: "actions" });
            if (p.role === "student") actions.append(button("Promote", `promote-${p.user}`, () => client.promote(p.user), { "aria-label": `Promote ${p.user}` }));
            if (p.role === "speaker") actions.append(button("Demote", `demote-${p.user}`, () => client.demote(p.user), { "aria-label": `Demote ${p.user}` }));
            actions.append(button("Mute", `mute-${p.user}`, () => muteUser(p.user), { "aria-label": `Mute ${p.user}` }));
            actions.append(button("Remove", `remove-${p.user}`, () => client.remove(p.user), { "aria-label": `Remove ${p.user} from the class`, class: "danger" }));
            li.append(actions);
          }
          return li;
        }),
    );
  };

  const muteUser = async (user: string): Promise<void> => {
    const theirs = [...client.remote.values()].filter((m) => m.user === user);
    const target = theirs.find((m) => m.source === "mic") ?? theirs[0];
    if (!target) throw new Error(`${user} publishes nothing`);
    await client.muteProducer(target.producerId);
    notice(`You muted ${user}'s ${target.source}`);
  };

  const renderHands = (): void => {
    const ol = byId("hands");
    ol.replaceChildren(
      ...client.hands.map((h) => {
        const li = el("li", { testid: `hand-${h.user}` }, `${h.user}${h.acknowledged ? " (acknowledged)" : ""} `);
        if (moderator()) {
          if (!h.acknowledged) li.append(button("Acknowledge", `ack-${h.user}`, () => client.acknowledgeHand(h.user).then(() => undefined), { "aria-label": `Acknowledge ${h.user}` }));
          li.append(button("Let speak", `hand-promote-${h.user}`, () => client.promote(h.user), { "aria-label": `Promote ${h.user} to speaker` }));
          li.append(button("Lower", `hand-lower-${h.user}`, () => client.lowerHand(h.user).then(() => undefined), { "aria-label": `Lower ${h.user}'s hand` }));
        }
        return li;
      }),
    );
    const mine = client.hands.some((h) => h.user === session.user);
    const raise = byId<HTMLButtonElement>("hand-raise");
    raise.textContent = mine ? "Lower hand" : "Raise hand";
    raise.setAttribute("aria-pressed", String(mine));
    const ack = client.hands.find((h) => h.user === session.user && h.acknowledged);
    if (ack && !acknowledged) notice("The teacher saw your raised hand");
    acknowledged = Boolean(ack);
  };
  let acknowledged = false;

  // Teachers: the waiting room (students off the class's roster), each with Admit / Deny.
  const renderWaiting = (): void => {
    const ol = byId("waiting-room");
    ol.replaceChildren(
      ...client.waitingRoom.map((w) => {
        const li = el("li", { testid: `waiting-${w.user}` }, `${w.user} `);
        li.append(button("Admit", `admit-${w.user}`, () => client.admit(w.user).then(() => undefined), { "aria-label": `Admit ${w.user}` }));
        li.append(button("Deny", `deny-${w.user}`, () => client.deny(w.user).then(() => undefined), { "aria-label": `Deny ${w.user}`, class: "danger" }));
        return li;
      }),
    );
  };
  client.on("waitingRoom", (list) => {
    const before = new Set([...byId("waiting-room").querySelectorAll("li")].map((li) => li.dataset.testid));
    renderWaiting();
    for (const w of list) if (!before.has(`waiting-${w.user}`)) notice(`${w.user} is waiting to be admitted`);
  });
  client.on("waiting", ({ position }) => {
    setState("waiting-room");
    setStatus(`Waiting for the teacher to let you in (position ${position})`);
  });

  // Media buttons: toggle publishing of each source.
  const toggles: Record<MediaSource, { id: string; on: string; off: string; open: () => Promise<MediaStreamTrack> }> = {
    camera: { id: "publish-camera", on: "Camera on", off: "Camera off", open: () => openCamera() },
    mic: { id: "publish-mic", on: "Microphone on", off: "Microphone off", open: () => openMic() },
    screen: { id: "publish-screen", on: "Share screen", off: "Stop sharing", open: () => openScreen() },
  };
  const renderLocal = (): void => {
    for (const [source, t] of Object.entries(toggles) as Array<[MediaSource, (typeof toggles)[MediaSource]]>) {
      const live = client.local.get(source);
      const b = byId<HTMLButtonElement>(t.id);
      b.textContent = live ? t.off : t.on;
      b.setAttribute("aria-pressed", String(Boolean(live)));
      if (source !== "mic") stage.preview(source, live?.track);
    }
    const mic = client.local.get("mic");
    const mute = byId<HTMLButtonElement>("mute-mic");
    mute.disabled = !mic;
    mute.textContent = mic?.paused ? "Unmute microphone" : "Mute microphone";
    mute.setAttribute("aria-pressed", String(Boolean(mic?.paused)));
    document.body.dataset.micMuted = String(Boolean(mic?.paused));
  };
  for (const [source, t] of Object.entries(toggles) as Array<[MediaSource, (typeof toggles)[MediaSource]]>) {
    byId(t.id).onclick = () =>
      void (async () => {
        if (client.local.has(source)) {
          const track = client.local.get(source)?.track;
          await client.unpublish(source);
          track?.stop();
        } else {
          const track = await t.open();
          await client.publish(source, track).catch((err: unknown) => {
            track.stop();
            throw err;
          });
        }
        renderLocal();
      })().catch((err: unknown) => setStatus(`${source}: ${message(err)}`));
  }
  byId("mute-mic").onclick = () =>
    void (async () => {
      const mic = client.local.get("mic");
      if (!mic) return;
      if (mic.paused) await client.unmute("mic");
      else await client.mute("mic");
      renderLocal();
    })().catch((err: unknown) => setStatus(isInterlinkedError(err) && err.code === 2004 ? "A teacher muted you: only a teacher can unmute you" : `mute: ${message(err)}`));
  byId("hand-raise").onclick = () =>
    void (client.hands.some((h) => h.user === session.user) ? client.lowerHand() : client.raiseHand()).then(renderHands, (err: unknown) => setStatus(`hand: ${message(err)}`));
  byId("class-start").onclick = () => void client.start().then(() => setState("live"), (err: unknown) => setStatus(`start: ${message(err)}`));
  byId("class-end").onclick = () => void client.end().catch((err: unknown) => setStatus(`end: ${message(err)}`));
  byId("attendance-json").onclick = () =>
    void attendance(session.token, classId).then(
      (a) => download(`attendance-${classId}.json`, "application/json", JSON.stringify(a, null, 2)),
      (err: unknown) => setStatus(`attendance: ${message(err)}`),
    );
  byId("attendance-csv").onclick = () =>
    void attendance(session.token, classId).then(
      (a) => download(`attendance-${classId}.csv`, "text/csv", toCsv(a.participants)),
      (err: unknown) => setStatus(`attendance: ${message(err)}`),
    );

  client.on("participants", renderParticipants);
  client.on("hands", () => {
    renderHands();
    renderParticipants([...client.participants.values()]);
  });
  client.on("participant", (p) => {
    if (p.action === "joined") notice(`${p.user} joined`);
    if (p.action === "left") notice(`${p.user} left`);
    else if (p.action === "updated" && p.user !== session.user) notice(`${p.user} is now ${p.role}`);
    renderParticipants([...client.participants.values()]);
  });
  let shownRole: string | undefined;
  client.on("role", (role) => {
    renderRole();
    if (role === "speaker") notice("The teacher invited you to speak: turn on your camera or microphone");
    if (role === "student" && shownRole === "speaker") notice("You are a listener again");
    shownRole = role;
    renderLocal();
    renderHands();
  });
  client.on("started", () => {
    setState("live");
    notice("The class started");
  });
  client.on("ended", () => {
    setState("ended");
    notice("The class ended");
    stage.clear();
  });
  client.on("removed", (r) => {
    setState("removed");
    notice(`You were removed from the class by ${r.by}`);
    setStatus(`You were removed from the class by ${r.by}`);
    stage.clear();
  });
  client.on("media", (m) => stage.add(m));
  client.on("mediaClosed", (m) => stage.remove(m));
  client.on("mediaPaused", (m) => stage.paused(m));
  client.on("published", renderLocal);
  client.on("unpublished", (l) => {
    l.track.stop();
    renderLocal();
  });
  client.on("producerMuted", (p) => {
    if ([...client.local.values()].some((l) => l.producerId === p.producerId)) notice(`${p.by} muted you`);
    renderLocal();
  });
  client.on("activeSpeaker", (s) => {
    for (const t of byId("videos").querySelectorAll<HTMLElement>(".tile")) t.classList.toggle("speaking", t.dataset.testid === `tile-${s.user}-camera`);
  });
  client.on("rejoining", ({ reason }) => setStatus(`reconnecting media (${reason})…`));
  client.on("rejoined", () => setStatus("media reconnected"));
  client.on("error", (err) => setStatus(`media: ${err.message}`));

  const joined = await client.join().catch((err: unknown) => {
    if (isInterlinkedError(err) && err.code === 4010) {
      setState("denied");
      setStatus("The teacher did not let you into this class");
    }
    throw err;
  });
  setState(joined.started ? "live" : "waiting");
  renderRole();
  renderHands();
  setStatus(`joined ${klass.title} as ${joined.role}`);
  byId("whoami").textContent = `${session.user} (${session.role}) at ${session.tenant}`;
  if (!staff) document.body.classList.add("is-student");

  const chat = new ClassChat(location.origin, session.token, klass.room, {
    message: (m) => {
      const li = el("li", { testid: "chat-message" });
      li.append(el("strong", {}, m.user), `: ${m.text}`);
      byId("chat-log").append(li);
    },
    members: (users) => (byId("classmates").textContent = users.join(", ") || "—"),
    notification: (n) => notice(`${n.title}${n.body ? `: ${n.body}` : ""}`),
    status: (text) => byId("chat-form").setAttribute("data-state", text),
  });
  byId("chat-form").onsubmit = (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>("chat-input");
    const text = input.value.trim();
    if (!text) return;
    chat.send(session.user, text).then(
      () => (input.value = ""),
      (err: unknown) => setStatus(`chat: ${message(err)}`),
    );
  };
  window.addEventListener("pagehide", () => {
    chat.close();
    void client.close();
  });

  // Received resolutions in the tile captions.
  const received = async (): Promise<ReceivedStats[]> =>
    Promise.all(
      [...client.remote.values()].map(async (m) => ({ consumerId: m.consumerId, user: m.user, source: m.source, kind: m.kind, paused: m.paused, ...inbound(await client.stats(m.consumerId)) })),
    );
  setInterval(() => {
    void received().then((all) => {
      for (const s of all) if (s.kind === "video") stage.resolution(s.consumerId, s.frameWidth, s.frameHeight);
    });
  }, 2_000);

  return {
    client,
    received,
    async cameraLayers() {
      const out: Array<{ rid: string; frameWidth: number; framesEncoded: number }> = [];
      (await client.publishStats("camera"))?.forEach((s: Record<string, unknown>) => {
        if (s.type === "outbound-rtp") out.push({ rid: String(s.rid ?? ""), frameWidth: Number(s.frameWidth ?? 0), framesEncoded: Number(s.framesEncoded ?? 0) });
      });
      return out.sort((a, b) => a.rid.localeCompare(b.rid));
    },
  };
}

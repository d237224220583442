/**
 * The admin console (/admin/): live load per school against its quotas, quota overrides, rooms and
 * members, classes with attendance (CSV), nodes and the dead-letter topic. Plain DOM over the REST API
 * of the same origin; the visible section refreshes every REFRESH_MS. A school_admin sees its school;
 * a super_admin every school (and the cluster-wide sections). The server enforces all of it.
 */
import { AdminApi, ApiError, QUOTA_KEYS, callerOf, devToken, school, type AttendanceRow, type Caller, type Letter, type LiveClass, type NodeStatus, type Overrides, type Quotas, type Room, type School } from "./api";
import { byId, el, fillRows, mib, quotaCell, when } from "./dom";

const REFRESH_MS = 3_000;
const TOKEN_KEY = "interlinked-admin-token";
type Tab = "schools" | "quotas" | "rooms" | "classes" | "nodes" | "dead-letters";

interface State {
  api: AdminApi;
  caller: Caller;
  tab: Tab;
  /** The school the school-scoped sections show. */
  school: string;
  /** Schools a super_admin asked to see besides those with connections. */
  extraSchools: Set<string>;
  room?: string;
  classId?: string;
}

let state: State | undefined;
let timer: number | undefined;
let busy = false;
/** A refresh asked for while one ran: runs once that one is done. */
let again = false;

const isSuper = (): boolean => state?.caller.role === "super_admin";

function showError(err: unknown): void {
  byId("error").textContent = err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err);
}

// ---- sign-in -------------------------------------------------------------------------------------

function signIn(token: string): void {
  const caller = callerOf(token);
  if (!caller) {
    byId("sign-in-error").textContent = "That is not a token of this API.";
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state = { api: new AdminApi(token), caller, tab: "schools", school: caller.tenant, extraSchools: new Set() };
  byId("who").textContent = `${caller.user} · ${caller.role} · ${caller.tenant}`;
  byId("sign-in").hidden = true;
  byId("console").hidden = false;
  byId("sign-out").hidden = false;
  for (const node of document.querySelectorAll<HTMLElement>("[data-super]")) node.hidden = caller.role !== "super_admin";
  setSchools([caller.tenant]);
  select("schools");
  timer = window.setInterval(() => void refresh(), REFRESH_MS);
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  window.clearInterval(timer);
  state = undefined;
  byId("who").textContent = "Not signed in";
  byId("sign-in").hidden = false;
  byId("console").hidden = true;
  byId("sign-out").hidden = true;
}

byId<HTMLFormElement>("dev-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const data = new FormData(e.currentTarget as HTMLFormElement);
  devToken(String(data.get("tenant")), String(data.get("user")), String(data.get("role")))
    .then(signIn)
    .catch((err: unknown) => (byId("sign-in-error").textContent = err instanceof Error ? err.message : String(err)));
});
byId<HTMLFormElement>("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(String(new FormData(e.currentTarget as HTMLFormElement).get("token")).trim());
});
byId("sign-out").addEventListener("click", signOut);

// ---- tabs (WAI-ARIA tabs: arrow keys move between them) -----------------------------------------

const tabs = (): HTMLButtonElement[] => [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')].filter((t) => !t.hidden);

function select(tab: Tab): void {
  if (!state) return;
  state.tab = tab;
  for (const t of document.querySelectorAll<HTMLButtonElement>('[role="tab"]')) {
    const on = t.id === `tab-${tab}`;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    byId(t.getAttribute("aria-controls") ?? "").hidden = !on;
  }
  if (tab === "quotas") void loadQuotas();
  else if (tab === "dead-letters") void loadLetters();
  else void refresh();
}

for (const t of document.querySelectorAll<HTMLButtonElement>('[role="tab"]')) {
  t.addEventListener("click", () => select(t.id.slice(4) as Tab));
  t.addEventListener("keydown", (e) => {
    const list = tabs();
    const i = list.indexOf(t);
    const next = e.key === "ArrowRight" ? list[(i + 1) % list.length] : e.key === "ArrowLeft" ? list[(i - 1 + list.length) % list.length] : e.key === "Home" ? list[0] : e.key === "End" ? list[list.length - 1] : undefined;
    if (!next) return;
    e.preventDefault();
    next.focus();
    select(next.id.slice(4) as Tab);
  });
}

// ---- the school selector ------------------------------------------------------------------------

function setSchools(tenants: string[]): void {
  if (!state) return;
  const all = [...new Set([state.caller.tenant, state.school, ...state.extraSchools, ...tenants])].sort();
  const picker = byId<HTMLSelectElement>("school");
  const current = [...picker.options].map((o) => o.value);
  if (current.join() !== all.join()) picker.replaceChildren(...all.map((t) => el("option", { value: t }, t)));
  picker.value = state.school;
  picker.disabled = !isSuper();
}

byId<HTMLSelectElement>("school").addEventListener("change", (e) => {
  if (!state) return;
  state.school = (e.currentTarget as HTMLSelectElement).value;
  state.room = undefined;
  state.classId = undefined;
  select(state.tab);
});

byId<HTMLFormElement>("add-school").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!state) return;
  const form = e.currentTarget as HTMLFormElement;
  const tenant = String(new FormData(form).get("tenant")).trim();
  state.extraSchools.add(tenant);
  form.reset();
  void refresh();
});

// ---- sections -----------------------------------------------------------------------------------

async function loadSchools(s: State): Promise<void> {
  const extra = [...s.extraSchools];
  // the overview takes one extra school per call: ask for each one a super_admin added
  const pages = await Promise.all((extra.length > 0 ? extra : [undefined]).map((t) => s.api.get<{ schools: School[] }>(`/v1/admin/overview${t ? `?tenant=${encodeURIComponent(t)}` : ""}`)));
  const byTenant = new Map<string, School>();
  for (const page of pages) for (const row of page.schools) byTenant.set(row.tenant, row);
  const schools = [...byTenant.values()].sort((a, b) => b.connections.used - a.connections.used || a.tenant.localeCompare(b.tenant));
  setSchools(schools.map((x) => x.tenant));
  const rows = schools.map((x) =>
    el(
      "tr",
      { "data-testid": `school-${x.tenant}` },
      el("th", { scope: "row" }, x.tenant),
      quotaCell(x.connections, `live connections of ${x.tenant}`, `connections-${x.tenant}`),
      quotaCell(x.messagesPerSecond, `messages per second of ${x.tenant}`, `messages-${x.tenant}`),
    ),
  );
  fillRows(byId("schools"), rows, 3, "No school has live connections.");
}

async function loadQuotas(): Promise<void> {
  if (!state) return;
  const s = state;
  try {
    const { quotas, overrides } = await s.api.get<{ quotas: Quotas; overrides: Overrides }>(`/v1/tenants/${encodeURIComponent(s.school)}/quotas`);
    byId("quota-fields").replaceChildren(
      ...QUOTA_KEYS.map((k) =>
        el("label", {}, `${k} (now ${quotas[k]})`, el("input", { name: k, type: "number", min: "0", max: "100000000", step: "1", value: overrides[k] == null ? "" : String(overrides[k]), placeholder: "default", "data-testid": `quota-${k}` })),
      ),
    );
    byId("quotas-saved").textContent = "";
    byId("error").textContent = "";
  } catch (err) {
    showError(err);
  }
}

byId<HTMLFormElement>("quotas-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!state) return;
  const data = new FormData(e.currentTarget as HTMLFormElement);
  const body: Overrides = {};
  for (const k of QUOTA_KEYS) {
    const v = String(data.get(k) ?? "").trim();
    body[k] = v === "" ? null : Number(v);
  }
  state.api
    .send("PUT", `/v1/tenants/${encodeURIComponent(state.school)}/quotas`, body)
    .then(async () => {
      await loadQuotas();
      byId("quotas-saved").textContent = "Saved.";
    })
    .catch(showError);
});

async function loadRooms(s: State): Promise<void> {
  const { rooms } = await s.api.get<{ rooms: Room[] }>(`${school(s.school)}/rooms?limit=200`);
  const rows = rooms.map((r) =>
    el(
      "tr",
      { "data-testid": `room-${r.room}`, class: r.room === s.room ? "selected" : undefined },
      el("th", { scope: "row" }, r.room),
      el("td", {}, r.title),
      el("td", {}, r.private ? "yes" : "no"),
      el("td", {}, r.createdBy),
      el("td", {}, button(`Members of ${r.room}`, "Members", `members-${r.room}`, () => {
        s.room = r.room;
        void refresh();
      })),
    ),
  );
  fillRows(byId("rooms"), rows, 5, "No rooms.");
  if (!s.room) return fillRows(byId("members"), [], 2, "Choose a room.");
  byId("members-title").textContent = `Members of ${s.room}`;
  const { members } = await s.api.get<{ members: Array<{ user: string; joinedAt: string }> }>(`${school(s.school)}/rooms/${encodeURIComponent(s.room)}/members?limit=500`);
  fillRows(byId("members"), members.map((m) => el("tr", { "data-testid": "member-row", "data-user": m.user }, el("th", { scope: "row" }, m.user), el("td", {}, when(m.joinedAt)))), 2, "No members.");
}

function button(label: string, text: string, testId: string, onClick: () => void): HTMLButtonElement {
  const b = el("button", { type: "button", "aria-label": label, "data-testid": testId }, text);
  b.addEventListener("click", onClick);
  return b;
}

async function loadClasses(s: State): Promise<void> {
  const { classes } = await s.api.get<{ classes: LiveClass[] }>(`${school(s.school)}/classes?limit=200`);
  const rows = classes.map((c) =>
    el(
      "tr",
      { "data-testid": `class-${c.id}`, class: c.id === s.classId ? "selected" : undefined },
      el("th", { scope: "row" }, c.title),
      el("td", {}, c.room),
      el("td", {}, c.teacher),
      el("td", {}, when(c.scheduledAt)),
      el("td", {}, c.endedAt ? "ended" : c.startedAt ? "live" : "scheduled"),
      el("td", {}, button(`Attendance of ${c.title}`, "Attendance", `attendance-${c.id}`, () => {
        s.classId = c.id;
        void refresh();
      })),
    ),
  );
  fillRows(byId("classes"), rows, 6, "No classes since yesterday.");
  const csv = byId<HTMLButtonElement>("csv");
  csv.disabled = !s.classId;
  if (!s.classId) return fillRows(byId("attendance"), [], 6, "Choose a class.");
  const chosen = classes.find((c) => c.id === s.classId);
  byId("attendance-title").textContent = `Attendance of ${chosen?.title ?? s.classId}`;
  const { participants } = await s.api.get<{ participants: AttendanceRow[] }>(`${school(s.school)}/classes/${s.classId}/attendance`);
  const rowsOf = participants.map((p) =>
    el(
      "tr",
      { "data-testid": "attendance-row", "data-user": p.user, "data-present": String(p.present) },
      el("th", { scope: "row" }, p.user),
      el("td", {}, when(p.firstJoin)),
      el("td", {}, when(p.lastLeave)),
      el("td", { class: "num" }, p.secondsPresent),
      el("td", { class: "num" }, p.reconnects),
      el("td", {}, p.present ? "yes" : "no"),
    ),
  );
  fillRows(byId("attendance"), rowsOf, 6, "Nobody joined yet.");
}

byId("csv").addEventListener("click", () => {
  if (!state?.classId) return;
  const id = state.classId;
  state.api
    .blob(`${school(state.school)}/classes/${id}/attendance.csv`)
    .then((blob) => {
      const link = el("a", { href: URL.createObjectURL(blob), download: `attendance-${id}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    })
    .catch(showError);
});

async function loadNodes(s: State): Promise<void> {
  const { nodes } = await s.api.get<{ nodes: NodeStatus[] }>("/v1/admin/nodes");
  const rows = nodes.map((n) => {
    const failing = Object.entries(n.checks).filter(([, ok]) => !ok).map(([name]) => name);
    const status = n.status === "silent" ? "silent" : n.draining ? "draining" : n.overloaded ? "overloaded" : failing.length > 0 ? "not ready" : "up";
    return el(
      "tr",
      { "data-testid": `node-${n.node}`, "data-status": status },
      el("th", { scope: "row" }, n.node),
      el("td", {}, status),
      el("td", {}, n.roles.join(", ")),
      el("td", { class: "num", "data-testid": `node-connections-${n.node}` }, n.connections),
      el("td", { class: "num" }, `${n.eventLoopLagMs} ms`),
      el("td", { class: "num" }, `${Math.round(n.eventLoopBusy * 100)} %`),
      el("td", { class: "num" }, mib(n.rssBytes)),
      el("td", {}, failing.length > 0 ? `failing: ${failing.join(", ")}` : Object.keys(n.checks).join(", ") + " ok"),
    );
  });
  fillRows(byId("nodes"), rows, 8, "No node has reported.");
}

/** Counts listings of the dead-letter topic: only the latest one asked for is shown. */
let lettersAsked = 0;

async function loadLetters(): Promise<void> {
  if (!state) return;
  const asked = ++lettersAsked;
  const status = byId("letters-status");
  status.textContent = "Reading the dead-letter topic…";
  try {
    const { total, letters } = await state.api.get<{ total: number; letters: Letter[] }>("/v1/admin/dead-letters?limit=500");
    if (asked !== lettersAsked) return;
    // what the operator ticked stays ticked across a reload
    const ticked = new Set([...document.querySelectorAll<HTMLInputElement>("#letters input[type=checkbox]:checked")].map((c) => c.value));
    const rows = letters.map((l) =>
      el(
        "tr",
        { "data-testid": `letter-${l.position}` },
        el("td", {}, el("input", { type: "checkbox", value: l.position, checked: ticked.has(l.position), "aria-label": `Select letter ${l.position}`, "data-testid": `letter-select-${l.position}` })),
        el("th", { scope: "row" }, l.position),
        el("td", {}, when(l.at)),
        el("td", {}, l.topic),
        el("td", {}, l.key),
        el("td", {}, l.reason),
      ),
    );
    fillRows(byId("letters"), rows, 6, "The dead-letter topic is empty.");
    status.textContent = `${total} dead letter(s)`;
  } catch (err) {
    if (asked !== lettersAsked) return;
    status.textContent = "";
    showError(err);
  }
}

byId("letters-refresh").addEventListener("click", () => void loadLetters());
byId("letters-replay").addEventListener("click", () => {
  if (!state) return;
  const positions = [...document.querySelectorAll<HTMLInputElement>("#letters input[type=checkbox]:checked")].map((c) => c.value);
  if (positions.length === 0) {
    byId("letters-status").textContent = "Select letters to replay.";
    return;
  }
  state.api
    .send<{ replayed: unknown[] }>("POST", "/v1/admin/dead-letters/replay", { positions })
    .then(async ({ replayed }) => {
      await loadLetters();
      byId("letters-status").textContent = `${replayed.length} letter(s) replayed`;
    })
    .catch(showError);
});

/** Reloads the visible section (the quota form and dead letters only on demand: they are not live figures). */
async function refresh(): Promise<void> {
  const s = state;
  if (!s) return;
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  try {
    if (s.tab === "schools") await loadSchools(s);
    else if (s.tab === "rooms") await loadRooms(s);
    else if (s.tab === "classes") await loadClasses(s);
    else if (s.tab === "nodes") await loadNodes(s);
    byId("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    byId("error").textContent = "";
  } catch (err) {
    showError(err);
    if (err instanceof ApiError && (err.code === 2001 || err.code === 2002 || err.code === 2006)) signOut();
  } finally {
    busy = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);

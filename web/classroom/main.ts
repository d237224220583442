import { createClass, devToken } from "./api";
import { openClassroom, type ClassroomHandle, type Session } from "./classroom";
import { byId, message, setStatus } from "./dom";

/**
 * The demo classroom: dev sign-in, then the lobby (teachers create a class) or, with `?class=<id>` in
 * the address (the join link), the class itself.
 */
declare global {
  interface Window {
    interlinkedClassroom?: ClassroomHandle;
  }
}

const params = new URLSearchParams(location.search);
const SESSION_KEY = "interlinked.classroom.session";

function remembered(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

async function enterClass(session: Session, classId: string): Promise<void> {
  byId("lobby").hidden = true;
  const url = new URL(location.href);
  url.searchParams.set("class", classId);
  history.replaceState(null, "", url);
  window.interlinkedClassroom = await openClassroom(session, classId);
  document.body.dataset.ready = "true";
}

async function afterSignIn(session: Session): Promise<void> {
  byId("signin").hidden = true;
  byId("whoami").textContent = `${session.user} (${session.role}) at ${session.tenant}`;
  const classId = params.get("class");
  if (classId) return enterClass(session, classId);
  byId("lobby").hidden = false;
  byId("create-form").hidden = session.role === "student";
  byId<HTMLFormElement>("create-form").onsubmit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    void createClass(session.token, String(form.get("title")), String(form.get("room")))
      .then((c) => enterClass(session, c.id))
      .catch((err: unknown) => setStatus(`create class: ${message(err)}`));
  };
  byId<HTMLFormElement>("open-form").onsubmit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    void enterClass(session, String(form.get("classId")).trim()).catch((err: unknown) => setStatus(`open class: ${message(err)}`));
  };
  document.body.dataset.ready = "lobby";
}

byId<HTMLFormElement>("signin-form").onsubmit = (e) => {
  e.preventDefault();
  const form = new FormData(e.currentTarget as HTMLFormElement);
  const tenant = String(form.get("tenant"));
  const user = String(form.get("user"));
  const role = String(form.get("role"));
  void devToken(tenant, user, role)
    .then((token) => {
      const session = { tenant, user, role, token };
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
      return afterSignIn(session);
    })
    .catch((err: unknown) => setStatus(`sign-in: ${message(err)}`));
};

const previous = remembered();
if (previous && params.get("signin") !== "again") void afterSignIn(previous).catch((err: unknown) => setStatus(message(err)));

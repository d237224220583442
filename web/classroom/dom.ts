/** Small DOM helpers of the classroom page. */

/** The element with `id`, of the expected type; throws when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
}

/** A new element with attributes (`testid` becomes data-testid) and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k === "testid" ? "data-testid" : k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label: string, testid: string, onClick: () => void | Promise<void>, extra: Record<string, string> = {}): HTMLButtonElement {
  const b = el("button", { type: "button", testid, ...extra }, label);
  b.addEventListener("click", () => void Promise.resolve(onClick()).catch((err: unknown) => setStatus(`${label}: ${message(err)}`)));
  return b;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function setStatus(text: string): void {
  byId("status").textContent = text;
}

/** Adds a line to the notifications list (newest first, at most 30). */
export function notice(text: string): void {
  const list = byId("notices");
  const item = el("li", {}, `${new Date().toLocaleTimeString()} — ${text}`);
  list.prepend(item);
  while (list.children.length > 30) list.lastElementChild?.remove();
}

/** Offers `content` as a file download. */
export function download(name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

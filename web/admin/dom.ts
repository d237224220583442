import type { QuotaUse } from "./api";

type Child = Node | string | number | null | undefined;

/** An element with attributes (`data-*`, aria-*, …) and children; text is always set as text, never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`no #${id}`);
  return node as T;
}

/** Replaces a table body's rows; an empty list shows one row saying so. */
export function fillRows(tbody: HTMLElement, rows: HTMLTableRowElement[], columns: number, empty: string): void {
  if (rows.length === 0) rows = [el("tr", {}, el("td", { colspan: String(columns), class: "hint" }, empty))];
  tbody.replaceChildren(...rows);
}

/** Bars end at 125 % of the limit, so the 100 % mark sits at 80 % of the width and the 80 % mark at 64 %. */
const BAR_SCALE = 1.25;

/** A quota meter: the figure, then a bar with the 80 % and 100 % marks. */
export function quotaCell(use: QuotaUse, label: string, testId: string): HTMLElement {
  const percent = Math.round(use.share * 100);
  const width = Math.min(1, use.share / BAR_SCALE) * 100;
  const levelText = use.level === "full" ? "at quota" : use.level === "warn" ? "over 80 %" : "";
  return el(
    "td",
    {},
    el("span", { "data-testid": testId, "data-used": String(use.used), "data-limit": String(use.limit), "data-level": use.level }, `${use.used} / ${use.limit} (${percent} %)`),
    " ",
    levelText ? el("span", { class: `level ${use.level}` }, levelText) : null,
    el(
      "div",
      { class: `bar ${use.level}`, role: "meter", "aria-label": label, "aria-valuemin": "0", "aria-valuemax": String(use.limit), "aria-valuenow": String(use.used), "aria-valuetext": `${use.used} of ${use.limit}, ${percent} %` },
      el("div", { class: "fill", style: `width:${width.toFixed(1)}%` }),
      el("div", { class: "mark m80", title: "80 %" }),
      el("div", { class: "mark m100", title: "100 %" }),
    ),
  );
}

export const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : "—");
export const mib = (bytes: number): string => `${(bytes / 1_048_576).toFixed(0)} MiB`;

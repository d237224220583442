import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { ReceivedStats } from "../../web/classroom/tiles";

/** Driving the classroom page (web/classroom) as a user would, through its data-testids. */

export interface Person {
  tenant: string;
  user: string;
  role: "teacher" | "student";
}

/** Opens the page (the join link when `classId` is given) and signs in with the dev form. */
export async function signIn(page: Page, base: string, who: Person, classId?: string): Promise<void> {
  await page.goto(`${base}/classroom/${classId ? `?class=${classId}` : ""}`);
  await page.getByTestId("signin-tenant").fill(who.tenant);
  await page.getByTestId("signin-user").fill(who.user);
  await page.getByTestId("signin-role").selectOption(who.role);
  await page.getByTestId("signin-submit").click();
  await page.waitForSelector(classId ? 'body[data-ready="true"]' : 'body[data-ready="lobby"]', { timeout: 30_000 });
}

/** Signs in with the keyboard only (a student: the role select keeps its default): type, Tab, Enter. */
export async function signInWithKeyboard(page: Page, base: string, who: { tenant: string; user: string }, classId: string): Promise<void> {
  await page.goto(`${base}/classroom/?class=${classId}`);
  await page.getByTestId("signin-tenant").focus();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(who.tenant);
  await page.keyboard.press("Tab");
  await page.keyboard.type(who.user);
  await page.keyboard.press("Enter");
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

/** Nothing sticks out sideways: the page fits the viewport's width (no horizontal scrolling). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** A teacher creates a class from the lobby; resolves with its id (from the address the page moves to). */
export async function createClass(page: Page, title: string, room: string): Promise<string> {
  await page.getByTestId("create-title").fill(title);
  await page.getByTestId("create-room").fill(room);
  await page.getByTestId("create-submit").click();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  const id = new URL(page.url()).searchParams.get("class");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return String(id);
}

export const text = (page: Page, testid: string): Promise<string> => page.getByTestId(testid).innerText();

export async function waitText(page: Page, testid: string, expected: string | RegExp, timeout = 20_000): Promise<void> {
  await expect.poll(() => text(page, testid), { timeout, interval: 250 }).toMatch(expected);
}

/** inbound-rtp figures of every track the page receives. */
export function received(page: Page): Promise<ReceivedStats[]> {
  return page.evaluate(() => window.interlinkedClassroom?.received() ?? Promise.reject(new Error("no classroom on the page")));
}

export function cameraLayers(page: Page): Promise<Array<{ rid: string; frameWidth: number; framesEncoded: number }>> {
  return page.evaluate(() => window.interlinkedClassroom?.cameraLayers() ?? Promise.reject(new Error("no classroom on the page")));
}

export async function track(page: Page, user: string, source: string, kind: "audio" | "video"): Promise<ReceivedStats | undefined> {
  return (await received(page)).find((s) => s.user === user && s.source === source && s.kind === kind);
}

/** `videoWidth` of the <video> showing `user`'s `source`. */
export function videoWidth(page: Page, user: string, source: string): Promise<number> {
  return page.getByTestId(`video-${user}-${source}`).evaluate((v) => (v as HTMLVideoElement).videoWidth).catch(() => 0);
}

/**
 * Waits until `user`'s `source` plays on the page: for video a rendered width and framesDecoded rising,
 * for audio bytesReceived rising. Returns the two samples (the second the first that rose, at least 0.6 s
 * later, within 10 s: a stream that has just started can stall for a moment on a loaded machine).
 */
export async function flowing(page: Page, user: string, source: string, kind: "audio" | "video", timeout = 30_000): Promise<[ReceivedStats, ReceivedStats]> {
  const metric = (s: ReceivedStats | undefined): number => (kind === "video" ? (s?.framesDecoded ?? 0) : (s?.bytesReceived ?? 0));
  if (kind === "video") await expect.poll(() => videoWidth(page, user, source), { timeout, interval: 300 }).toBeGreaterThan(0);
  await expect.poll(async () => metric(await track(page, user, source, kind)), { timeout, interval: 300 }).toBeGreaterThan(0);
  const first = await track(page, user, source, kind);
  await page.waitForTimeout(600);
  let later = await track(page, user, source, kind);
  for (let waited = 0; metric(later) <= metric(first) && waited < 10_000; waited += 300) {
    await page.waitForTimeout(300);
    later = await track(page, user, source, kind);
  }
  expect(metric(later)).toBeGreaterThan(metric(first));
  return [first as ReceivedStats, later as ReceivedStats];
}

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { serviceEnv } from "./services";

/** Where failing browser tests leave their screenshots (kept by CI as artifacts; gitignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, "..", "..", "test-artifacts");

/**
 * Chromium from Debian's package (CHROMIUM_BIN, provisioned by tests/global-setup.ts), headless, with
 * fake camera/microphone (a test pattern and a beep, granted without a prompt) and WebRTC allowed to
 * reach the SFU on loopback. `--no-sandbox`: the tests run as root.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-dev-shm-usage",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: serviceEnv("CHROMIUM_BIN"), headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A page and what it printed, for failure messages. */
export interface TestPage {
  page: Page;
  /** The page's console lines and uncaught errors, oldest first. */
  console: string[];
}

/**
 * Runs `fn` on a new page of a fresh context (its own storage, camera/mic granted). When `fn` throws,
 * a full-page screenshot goes to test-artifacts/<name>.png and the page's last console lines are added to
 * the error. The context is closed either way.
 */
export async function withPage<T>(browser: Browser, name: string, fn: (p: TestPage) => Promise<T>, options: BrowserContextOptions = {}): Promise<T> {
  const context = await browser.newContext({ permissions: ["camera", "microphone"], ...options });
  const page = await context.newPage();
  const lines: string[] = [];
  page.on("console", (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (err) => lines.push(`[pageerror] ${err.message}`));
  try {
    return await fn({ page, console: lines });
  } catch (err) {
    await screenshot(page, name);
    const tail = lines.slice(-30).join("\n  ");
    if (err instanceof Error) err.message += `\n  screenshot: test-artifacts/${name}.png\n  page console (last ${Math.min(30, lines.length)}):\n  ${tail}`;
    throw err;
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** A full-page screenshot at test-artifacts/<name>.png (best effort: a crashed page has none). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true, timeout: 5_000 }).catch(() => undefined);
}

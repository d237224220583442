import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaDefaults, realtimeDefaults } from "../../core/config";
import { nginxDefaults, renderNginxConfig } from "../../nginx/render-config";
import { startNginx } from "../../tools/services/nginx";
import { freePort } from "../../tools/services/process";
import { launchChromium, withPage } from "../support/browser";
import { startDistributedDeployment } from "../support/nodes";
import { freshTenant } from "../support/realtime";
import { serviceEnv } from "../support/services";
import { cameraLayers, createClass, flowing, signIn, text, track, waitText } from "./classroom-pages";

// Two realtime nodes (routes n0, n1) on Redis/Kafka/PostgreSQL behind nginx with the generated config;
// n0 hosts the classes' media (mediasoup on 127.0.0.1), n1 only signals (media RPC over Redis).
// Teacher and students are pages of real Chromium (fake camera, microphone and screen).
// The teacher and the first student come through the pool of both nodes (`base`); the second student
// through a front door of the same generated config whose pool is the other node alone (`doors`), so the
// two students are on different nodes every run (the pool's least_conn choice once put both on n1).
let deployment: Awaited<ReturnType<typeof startDistributedDeployment>>;
const nginxes: Array<{ stop(): Promise<void> }> = [];
let browser: Browser;
let base: string;
const doors = new Map<string, string>();
const dir = mkdtempSync(join(tmpdir(), "interlinked-classroom-"));

/** nginx with the generated config in front of `nodes` (route, URL); resolves with its base URL. */
async function frontDoor(name: string, nodes: Array<{ route: string; url: string }>): Promise<string> {
  const port = await freePort();
  const runDir = join(dir, name);
  mkdirSync(runDir, { recursive: true });
  // the rendered config proxies the pages each node serves (/classroom/) through the pool, as the API
  const config = renderNginxConfig({
    ...nginxDefaults,
    sockets: 2_000,
    listen: `127.0.0.1:${port}`,
    nodes: nodes.map((n) => ({ route: n.route, address: new URL(n.url).host })),
    runDir,
  });
  nginxes.push(await startNginx({ bin: serviceEnv("NGINX_BIN"), dir: runDir, port, config }));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  deployment = await startDistributedDeployment(2, (i) => ({
    realtime: { ...realtimeDefaults, overloadLagMs: 0, stickyRoute: `n${i}` },
    media: { ...mediaDefaults, enabled: i === 0, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), listenIp: "127.0.0.1", rtcMinPort: 45_400, rtcMaxPort: 45_799 },
  }));
  const nodes = deployment.nodes.map((n, i) => ({ route: `n${i}`, url: n.url }));
  base = await frontDoor("pool", nodes);
  for (const n of nodes) doors.set(n.route, await frontDoor(n.route, [n]));
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  for (const n of nginxes) await n.stop();
  await deployment?.close();
  rmSync(dir, { recursive: true, force: true });
});

const route = (page: Page): Promise<string> => text(page, "node-route");

describe("classroom page in Chromium, students on different realtime nodes behind nginx", () => {
  it("simulcast camera, microphone and screen reach both students; layers, hands, promotion, mute, chat, removal, attendance", async () => {
    const tenant = freshTenant("school");
    await withPage(browser, "classroom-teacher", async ({ page: teacher }) => {
      await signIn(teacher, base, { tenant, user: "ms-lee", role: "teacher" });
      const classId = await createClass(teacher, "Algebra", "algebra-1");
      await waitText(teacher, "my-role", "host");
      await teacher.getByTestId("class-start").click();
      await waitText(teacher, "class-state", "live");
      for (const source of ["camera", "mic", "screen"]) {
        await teacher.getByTestId(`publish-${source}`).click();
        await expect.poll(() => teacher.getByTestId(`publish-${source}`).getAttribute("aria-pressed"), { timeout: 20_000 }).toBe("true");
      }
      // Three simulcast layers leave the browser: 1/4, 1/2 and full 1280×720.
      await expect
        .poll(async () => (await cameraLayers(teacher)).map((l) => [l.rid, l.frameWidth, l.framesEncoded > 0]), { timeout: 30_000, interval: 500 })
        .toEqual([
          ["r0", 320, true],
          ["r1", 640, true],
          ["r2", 1280, true],
        ]);
      const layers = await cameraLayers(teacher);
      console.log(`teacher camera layers: ${layers.map((l) => `${l.rid} ${l.frameWidth}px ${l.framesEncoded} frames`).join(", ")}`);

      await withPage(browser, "classroom-student-1", async ({ page: s1 }) => {
        await signIn(s1, base, { tenant, user: "sam", role: "student" }, classId);
        const firstRoute = await route(s1);
        expect(firstRoute).toMatch(/^n[01]$/);
        // The second student comes in through the front door of the other node: the students are on
        // different nodes, whichever node the pool gave the first.
        const otherRoute = firstRoute === "n0" ? "n1" : "n0";
        await withPage(browser, "classroom-student-2", async ({ page: s2 }) => {
          await signIn(s2, doors.get(otherRoute) ?? expect.fail(`no front door for ${otherRoute}`), { tenant, user: "kim", role: "student" }, classId);
          expect(await route(s2)).toBe(otherRoute);
          await bothStudents(teacher, s1, s2);
        });
      });
    });
  }, 300_000);
});

async function bothStudents(teacher: Page, s1: Page, s2: Page): Promise<void> {
  const kim = "kim";
  expect(new Set([await route(s1), await route(s2)])).toEqual(new Set(["n0", "n1"]));
  // Camera and microphone on both nodes; the screen on the node without media (relayed signaling).
  for (const [name, s] of [["sam", s1], [kim, s2]] as const) {
    const [, video] = await flowing(s, "ms-lee", "camera", "video");
    const [a0, a1] = await flowing(s, "ms-lee", "mic", "audio");
    console.log(`${name} on ${await route(s)}: camera ${video.framesDecoded} frames at ${video.frameWidth}x${video.frameHeight}, audio ${a0.bytesReceived}→${a1.bytesReceived} bytes`);
  }
  const onN1 = (await route(s1)) === "n1" ? s1 : s2;
  const [, screen] = await flowing(onN1, "ms-lee", "screen", "video");
  console.log(`screen on n1: ${screen.framesDecoded} frames at ${screen.frameWidth}x${screen.frameHeight}`);

  // Preferred simulcast layer: the received width follows the student's choice.
  const width = async (): Promise<number> => (await track(s1, "ms-lee", "camera", "video"))?.frameWidth ?? 0;
  await s1.getByTestId("layer-ms-lee").selectOption("0");
  await expect.poll(width, { timeout: 30_000, interval: 500 }).toBe(320);
  console.log("sam chose low: 320 px");
  await s1.getByTestId("layer-ms-lee").selectOption("2");
  await expect.poll(width, { timeout: 30_000, interval: 500 }).toBeGreaterThan(320);
  console.log(`sam chose high: ${await width()} px`);

  // Chat in the class's room, and who is in it.
  await waitText(teacher, "classmates", new RegExp(`${kim}`));
  await s2.getByTestId("chat-input").fill("May I ask a question?");
  await s2.getByTestId("chat-send").click();
  await waitText(teacher, "chat-log", /May I ask a question\?/);
  await waitText(s1, "chat-log", /May I ask a question\?/);

  // Hand raised → acknowledged → promoted: the student's camera and microphone reach the teacher.
  await s2.getByTestId("hand-raise").click();
  await expect.poll(() => teacher.getByTestId(`hand-${kim}`).count(), { timeout: 15_000 }).toBe(1);
  await teacher.getByTestId(`ack-${kim}`).click();
  await waitText(s2, "notices", /saw your raised hand/);
  await teacher.getByTestId(`hand-promote-${kim}`).click();
  await waitText(s2, "my-role", "speaker");
  await waitText(teacher, `role-${kim}`, "speaker");
  await s2.getByTestId("publish-camera").click();
  await s2.getByTestId("publish-mic").click();
  const [, kimVideo] = await flowing(teacher, kim, "camera", "video");
  await flowing(s1, kim, "mic", "audio");
  console.log(`teacher receives ${kim}: ${kimVideo.framesDecoded} frames at ${kimVideo.frameWidth}x${kimVideo.frameHeight}`);

  // The teacher mutes the speaker's microphone: receivers see it paused, the speaker cannot unmute.
  await teacher.getByTestId(`mute-${kim}`).click();
  await expect.poll(async () => (await track(teacher, kim, "mic", "audio"))?.paused, { timeout: 15_000 }).toBe(true);
  await expect.poll(async () => (await track(s1, kim, "mic", "audio"))?.paused, { timeout: 15_000 }).toBe(true);
  await expect.poll(() => s2.evaluate(() => document.body.dataset.micMuted), { timeout: 15_000 }).toBe("true");
  await waitText(s2, "notices", /ms-lee muted you/);
  await s2.getByTestId("mute-mic").click();
  await waitText(s2, "status", /only a teacher can unmute you/);

  // Removal: the student's page says so and its media stops.
  await teacher.getByTestId("remove-sam").click();
  await waitText(s1, "class-state", "removed");
  await waitText(s1, "status", /removed from the class by ms-lee/);
  await expect.poll(() => s1.getByTestId("video-ms-lee-camera").count()).toBe(0);
  await expect.poll(() => teacher.getByTestId("participant-sam").count(), { timeout: 15_000 }).toBe(0);

  // Attendance, downloaded from the teacher's page.
  // (the attendance events travel Kafka → workers → PostgreSQL: poll)
  const attendees = async (): Promise<string[]> => {
    const [download] = await Promise.all([teacher.waitForEvent("download"), teacher.getByTestId("attendance-json").click()]);
    const report = JSON.parse(readFileSync(await download.path(), "utf8")) as { participants: Array<{ user: string; present: boolean }> };
    return report.participants.map((p) => `${p.user}:${p.present}`).sort();
  };
  await expect.poll(attendees, { timeout: 20_000, interval: 1_000 }).toEqual([`${kim}:true`, "ms-lee:true", "sam:false"].sort());

  await teacher.getByTestId("class-end").click();
  await waitText(s2, "class-state", "ended");
  await waitText(teacher, "class-state", "ended");
}

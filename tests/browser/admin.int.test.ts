import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaDefaults, realtimeDefaults } from "../../core/config";
import { DEAD_LETTER_TOPIC, newEvent, streams, type DeadLetter } from "../../core/contracts/streams";
import { nginxDefaults, renderNginxConfig } from "../../nginx/render-config";
import { startNginx } from "../../tools/services/nginx";
import { freePort } from "../../tools/services/process";
import { launchChromium, withPage } from "../support/browser";
import { ClassParticipant } from "../support/class-participant";
import { connectClient, eventually, type TestClient } from "../support/clients";
import { apiAs } from "../support/http";
import { mintToken, startDistributedDeployment, startEmbeddedDeployment } from "../support/nodes";
import { freshTenant, sleep } from "../support/realtime";
import { serviceEnv } from "../support/services";

// The admin console (web/admin) in real Chromium: what it shows must be what the test did — the live
// connection count of a school and a class's attendance — on the embedded default and on a cluster of two
// realtime nodes behind nginx.

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

interface Row {
  user: string;
  present: string;
}
type Attendance = { participants: Array<{ user: string; present: boolean }> };

/** The schools table's live connections of `tenant` once it shows `used` (the page refreshes every 3 s). */
async function shownConnections(page: Page, tenant: string, used: number): Promise<string> {
  const cell = page.getByTestId(`connections-${tenant}`);
  await page.waitForSelector(`[data-testid="connections-${tenant}"][data-used="${used}"]`, { timeout: 20_000 });
  return (await cell.textContent()) ?? "";
}

/** Opens a class's attendance in the Classes tab and returns the table's rows once it has `count`. */
async function shownAttendance(page: Page, classId: string, count: number): Promise<Row[]> {
  await page.getByTestId("tab-classes").click();
  await page.getByTestId(`attendance-${classId}`).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="attendance-row"]').length === n, count, { timeout: 20_000 });
  return page.$$eval('[data-testid="attendance-row"]', (rows) => rows.map((r) => ({ user: r.getAttribute("data-user") ?? "", present: r.getAttribute("data-present") ?? "" })));
}

/** Downloads the attendance CSV through the page's button; returns its lines. */
async function downloadedCsv(page: Page): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("attendance-csv").click()]);
  const file = await download.path();
  return readFileSync(file, "utf8").trimEnd().split("\r\n");
}

const rowsOf = (report: Attendance): Row[] => report.participants.map((p) => ({ user: p.user, present: String(p.present) }));

describe("admin console, embedded default: live connections and a live class's attendance", () => {
  it("shows the school's connection count and the class's attendance as the test made them", async () => {
    const deployment = await startEmbeddedDeployment({
      media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), rtcMinPort: 44_500, rtcMaxPort: 44_699 },
    });
    const url = deployment.nodes[0]!.url;
    const tenant = freshTenant("school");
    const sockets: TestClient[] = [];
    const participants: ClassParticipant[] = [];
    try {
      for (let i = 0; i < 3; i++) sockets.push(await connectClient(url, await mintToken(tenant, `s${i}`)));
      const teacherApi = await apiAs(url, tenant, "teacher", "teacher");
      const classId = (await teacherApi.post<{ id: string }>("/v1/classes", { title: "Physics", room: "physics", scheduledAt: new Date().toISOString() })).body.id;
      const teacher = await ClassParticipant.connect(url, tenant, "teacher", "teacher", classId);
      participants.push(teacher);
      await teacher.join();
      await teacher.ok("class:start");
      for (const user of ["ada", "ben"]) {
        const student = await ClassParticipant.connect(url, tenant, user, "student", classId);
        participants.push(student);
        await student.join();
      }
      await participants[2]!.ok("class:leave");
      // 3 sockets on `/` + 3 on `/class`
      const expectedConnections = sockets.length + participants.length;
      const report = await eventually(
        () => teacherApi.get<Attendance>(`/v1/classes/${classId}/attendance`),
        (r) => r.body.participants.length === 3 && r.body.participants.some((p) => p.user === "ben" && !p.present),
      );
      expect(rowsOf(report.body)).toEqual([
        { user: "ada", present: "true" },
        { user: "ben", present: "false" },
        { user: "teacher", present: "true" },
      ]);

      await withPage(browser, "admin-embedded", async ({ page }) => {
        await page.goto(`${url}/admin/`);
        // dev sign-in, as a school_admin of the school
        await page.getByTestId("dev-tenant").fill(tenant);
        await page.getByTestId("dev-user").fill("head");
        await page.getByTestId("dev-role").selectOption("school_admin");
        await page.getByTestId("dev-sign-in").click();
        await page.getByTestId("console").waitFor({ state: "visible" });
        expect(await page.getByTestId("who").textContent()).toBe(`head · school_admin · ${tenant}`);
        // the super_admin sections are not offered
        expect(await page.getByTestId("tab-nodes").isHidden()).toBe(true);

        expect(await shownConnections(page, tenant, expectedConnections)).toBe(`${expectedConnections} / 100 (${expectedConnections} %)`);
        expect(await page.locator('#schools tr[data-testid^="school-"]').count()).toBe(1);

        expect(await shownAttendance(page, classId, 3)).toEqual(rowsOf(report.body));
        const csv = await downloadedCsv(page);
        expect(csv[0]).toBe("user,firstJoin,lastLeave,secondsPresent,reconnects,present");
        expect(csv.slice(1).map((l) => [l.split(",")[0], l.split(",")[5]])).toEqual(report.body.participants.map((p) => [p.user, String(p.present)]));

        // a socket leaves: the schools table follows
        sockets.pop()?.close();
        await page.getByTestId("tab-schools").click();
        expect(await shownConnections(page, tenant, expectedConnections - 1)).toContain(`${expectedConnections - 1} / 100`);
      });
    } finally {
      for (const s of sockets) s.close();
      for (const p of participants) await p.close();
      await deployment.close();
    }
  }, 120_000);
});

describe("admin console, a cluster of two realtime nodes behind nginx", () => {
  const dir = mkdtempSync(join(tmpdir(), "interlinked-admin-nginx-"));
  let deployment: Awaited<ReturnType<typeof startDistributedDeployment>>;
  let nginx: { stop(): Promise<void> };
  let url: string;

  beforeAll(async () => {
    deployment = await startDistributedDeployment(2, (i) => ({ realtime: { ...realtimeDefaults, overloadLagMs: 0, stickyRoute: `n${i}` } }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = renderNginxConfig({
      ...nginxDefaults,
      sockets: 1_000,
      listen: `127.0.0.1:${port}`,
      nodes: deployment.nodes.map((n, i) => ({ route: `n${i}`, address: new URL(n.url).host })),
      runDir: dir,
    });
    // the rendered config proxies the console's page (/admin/), served by every node, like /v1/
    nginx = await startNginx({ bin: serviceEnv("NGINX_BIN"), dir, port, config });
  }, 90_000);
  afterAll(async () => {
    await nginx?.stop();
    await deployment?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the cluster-wide connection count, the nodes' share of it, a class's attendance, and replays a dead letter", async () => {
    const tenant = freshTenant("school");
    const sockets: TestClient[] = [];
    try {
      for (let i = 0; i < 6; i++) sockets.push(await connectClient(url, await mintToken(tenant, `s${i}`)));
      const routes = new Set(sockets.map((s) => String(s.io.engine.id).split(".")[0]));
      expect(routes.size, "clients on both nodes").toBe(2);
      const teacherApi = await apiAs(url, tenant, "teacher", "teacher");
      const classId = (await teacherApi.post<{ id: string }>("/v1/classes", { title: "History", room: "history", scheduledAt: new Date().toISOString() })).body.id;
      await deployment.publish("attendance", ["teacher", "ada", "ben"].map((user) => newEvent("class.attendance", tenant, { classId, user, kind: "joined" })));
      await sleep(20); // a leave after its join (events order by their `at`)
      await deployment.publish("attendance", [newEvent("class.attendance", tenant, { classId, user: "ada", kind: "left" })]);
      const report = await eventually(
        () => teacherApi.get<Attendance>(`/v1/classes/${classId}/attendance`),
        (r) => r.body.participants.some((p) => p.user === "ada" && !p.present),
        30_000,
      );
      expect(rowsOf(report.body)).toEqual([
        { user: "ada", present: "false" },
        { user: "ben", present: "true" },
        { user: "teacher", present: "true" },
      ]);

      await withPage(browser, "admin-cluster", async ({ page }) => {
        await page.goto(`${url}/admin/`);
        // a pasted token, as in a deployment without dev tokens: a super_admin
        await page.getByTestId("token-input").fill(await mintToken("operators", "root", "super_admin"));
        await page.getByTestId("token-sign-in").click();
        await page.getByTestId("console").waitFor({ state: "visible" });
        expect(await shownConnections(page, tenant, sockets.length)).toBe(`${sockets.length} / 100 (${sockets.length} %)`);

        await page.getByTestId("tab-nodes").click();
        const nodeIds = deployment.nodes.map((_, i) => `${deployment.namespace}-node-${i}`);
        await page.waitForSelector(`[data-testid="node-${nodeIds[1]}"]`, { timeout: 20_000 });
        const perNode = await Promise.all(nodeIds.map(async (id) => Number(await page.getByTestId(`node-connections-${id}`).textContent())));
        expect(perNode.reduce((a, b) => a + b, 0)).toBe(sockets.length);
        expect(perNode.every((n) => n > 0)).toBe(true);
        expect(await page.getByTestId(`node-${nodeIds[0]}`).getAttribute("data-status")).toBe("up");

        await page.getByTestId("school-select").selectOption(tenant);
        expect(await shownAttendance(page, classId, 3)).toEqual(rowsOf(report.body));
        const csv = await downloadedCsv(page);
        expect(csv.slice(1).map((l) => l.split(",")[0])).toEqual(["ada", "ben", "teacher"]);

        // a dead letter in Kafka: listed, selected and replayed from the page; the worker then stores its event
        const event = newEvent("room.message.created", tenant, { room: "dlq-room", seq: 1, user: "ada", text: "replayed from the console" });
        const letter: DeadLetter = { topic: streams.roomMessages.topic, key: `${tenant}:dlq-room`, value: JSON.stringify(event), reason: `test ${tenant}`, at: new Date().toISOString() };
        await deployment.nodes[0]!.bus.publish(DEAD_LETTER_TOPIC, [{ key: letter.key, value: JSON.stringify(letter) }]);
        await page.getByTestId("tab-dead-letters").click();
        const row = page.locator('#letters tr[data-testid^="letter-"]', { hasText: letter.reason });
        await eventually(
          async () => {
            await page.getByTestId("letters-refresh").click();
            await page.waitForFunction(() => !document.querySelector('[data-testid="letters-status"]')?.textContent?.startsWith("Reading"), undefined, { timeout: 30_000 });
            return row.count();
          },
          (n) => n === 1,
          40_000,
        );
        await page.waitForFunction(() => document.querySelector('[data-testid="letters-status"]')?.textContent?.endsWith("dead letter(s)"), undefined, { timeout: 30_000 });
        await row.locator('input[type="checkbox"]').check();
        await page.getByTestId("letters-replay").click();
        await page.waitForSelector('[data-testid="letters-status"]:has-text("1 letter(s) replayed")', { timeout: 30_000 });
        const history = await eventually(
          () => teacherApi.get<{ messages: Array<{ text: string }> }>("/v1/rooms/dlq-room/messages"),
          (r) => (r.body.messages?.length ?? 0) > 0,
          30_000,
        );
        expect(history.body.messages.map((m) => m.text)).toEqual(["replayed from the console"]);
      });
      // the sockets leave: the count the console reads follows on every node (and no disconnect is still in flight at teardown)
      for (const s of sockets) s.close();
      const head = await apiAs(url, tenant, "head", "school_admin");
      const left = await eventually(() => head.get<{ schools: Array<{ connections: { used: number } }> }>("/v1/admin/overview"), (r) => r.body.schools[0]?.connections.used === 0);
      expect(left.body.schools[0]?.connections.used).toBe(0);
    } finally {
      for (const s of sockets) s.close();
    }
  }, 120_000);
});

import { describe, expect, it } from "vitest";
import { withPage } from "../support/browser";
import { apiAs } from "../support/http";
import { createClass, flowing, signIn, waitText } from "./classroom-pages";
import { embeddedClassroom } from "./embedded-classroom";

// The classroom page with a class roster: a student off it waits in the waiting room until the teacher
// admits them from the page (then receives the teacher's camera); a denied student is told.
const classroom = embeddedClassroom(48_900);

describe("classroom page: waiting room", () => {
  it("the teacher admits a waiting student (who then sees the class) and denies another", async () => {
    await withPage(classroom.browser, "waiting-room-teacher", async ({ page: teacher }) => {
      await signIn(teacher, classroom.base, { tenant: "school-q", user: "mr-q", role: "teacher" });
      const classId = await createClass(teacher, "History", "hist-1");
      const api = await apiAs(classroom.base, "school-q", "mr-q", "teacher");
      expect((await api.put(`/v1/classes/${classId}/roster`, { mode: "list", users: ["someone-else"] })).status).toBe(200);
      await teacher.getByTestId("class-start").click();
      await waitText(teacher, "class-state", "live");
      await teacher.getByTestId("publish-camera").click();

      await withPage(classroom.browser, "waiting-room-student", async ({ page: student }) => {
        await student.goto(`${classroom.base}/classroom/?class=${classId}`);
        await student.getByTestId("signin-tenant").fill("school-q");
        await student.getByTestId("signin-user").fill("wanda");
        await student.getByTestId("signin-submit").click();
        await waitText(student, "class-state", "waiting-room");
        await waitText(student, "status", /Waiting for the teacher/);
        await waitText(teacher, "waiting-room", /wanda/);
        await teacher.getByTestId("admit-wanda").click();
        await student.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
        await waitText(student, "class-state", "live");
        await waitText(student, "my-role", "student");
        await flowing(student, "mr-q", "camera", "video");
        await expect.poll(() => teacher.getByTestId("waiting-room").innerText()).toBe("");
      });

      await withPage(classroom.browser, "waiting-room-denied", async ({ page: denied }) => {
        await denied.goto(`${classroom.base}/classroom/?class=${classId}`);
        await denied.getByTestId("signin-tenant").fill("school-q");
        await denied.getByTestId("signin-user").fill("dan");
        await denied.getByTestId("signin-submit").click();
        await waitText(denied, "class-state", "waiting-room");
        await waitText(teacher, "waiting-room", /dan/);
        await teacher.getByTestId("deny-dan").click();
        await waitText(denied, "class-state", "denied");
        await waitText(denied, "status", /declined|did not let you in/);
        expect(await denied.getByTestId("participants").innerText()).toBe("");
      });
    });
  }, 58_000);
});

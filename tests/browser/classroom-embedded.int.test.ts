import { describe, expect, it } from "vitest";
import { withPage } from "../support/browser";
import { createClass, fitsWidth, flowing, signIn, signInWithKeyboard, waitText } from "./classroom-pages";
import { embeddedClassroom } from "./embedded-classroom";

// One node as `npm start` runs it (embedded: PGlite, in-memory bus and signaling) with the class tier on,
// serving the classroom page; a teacher and a student in real Chromium.
const classroom = embeddedClassroom(45_100);

describe("classroom page on an embedded node", () => {
  it("teacher and student video both ways; a dead media worker makes both pages rejoin, both re-publish", async () => {
    await withPage(classroom.browser, "classroom-embedded-teacher", async ({ page: teacher }) => {
      await signIn(teacher, classroom.base, { tenant: "school-a", user: "ms-lee", role: "teacher" });
      const classId = await createClass(teacher, "Biology", "bio-1");
      const joinLink = await teacher.getByTestId("join-link").getAttribute("href");
      expect(joinLink).toBe(`${classroom.base}/classroom/?class=${classId}`);
      await teacher.getByTestId("class-start").click();
      await waitText(teacher, "class-state", "live");
      await teacher.getByTestId("publish-camera").click();
      await teacher.getByTestId("publish-mic").click();
      await expect.poll(() => teacher.getByTestId("publish-mic").getAttribute("aria-pressed")).toBe("true");

      // The student is on a phone-sized screen and signs in with the keyboard.
      await withPage(
        classroom.browser,
        "classroom-embedded-student",
        async ({ page: student }) => {
          await signInWithKeyboard(student, classroom.base, { tenant: "school-a", user: "sam" }, classId);
          await waitText(student, "my-role", "student");
          expect(await fitsWidth(student)).toBe(true);
          await expect.poll(() => student.getByTestId("hand-raise").isVisible()).toBe(true);
          expect(await student.getByTestId("class-start").isVisible()).toBe(false);
          const [, video] = await flowing(student, "ms-lee", "camera", "video");
          const [, audio] = await flowing(student, "ms-lee", "mic", "audio");
          console.log(`embedded: student decoded ${video.framesDecoded} frames at ${video.frameWidth}x${video.frameHeight}, ${audio.bytesReceived} audio bytes`);
          await waitText(teacher, "participants", /sam/);

          // The teacher lets the student speak: the student's camera reaches the teacher.
          await teacher.getByTestId("promote-sam").click();
          await waitText(student, "my-role", "speaker");
          await student.getByTestId("publish-camera").click();
          const [, back] = await flowing(teacher, "sam", "camera", "video");
          console.log(`embedded: teacher decoded ${back.framesDecoded} frames of the student at ${back.frameWidth}x${back.frameHeight}`);

          // The class's mediasoup worker dies: both pages rebuild Device and transports and join again;
          // the teacher re-publishes and the student receives again.
          const media = classroom.node.classes?.media ?? expect.fail("the node hosts no classes");
          const [worker] = await media.workersOf("school-a", classId);
          process.kill(worker?.pid ?? expect.fail("the class has no worker"), "SIGKILL");
          await waitText(teacher, "status", /media reconnected/, 30_000);
          await waitText(student, "status", /media reconnected/, 30_000);
          const [, again] = await flowing(student, "ms-lee", "camera", "video");
          await flowing(student, "ms-lee", "mic", "audio");
          // the class's state survived the worker (media/README.md "State that survives a media node"): the
          // student is still a speaker, re-published the camera, and the teacher receives it again
          await waitText(student, "my-role", "speaker");
          await expect.poll(() => student.getByTestId("publish-camera").getAttribute("aria-pressed")).toBe("true");
          await flowing(teacher, "sam", "camera", "video");
          console.log(`embedded: after the worker died, the student decoded ${again.framesDecoded} frames of the teacher at ${again.frameWidth}x${again.frameHeight}`);
          expect(await fitsWidth(student)).toBe(true);
        },
        { viewport: { width: 390, height: 844 } },
      );
    });
  }, 120_000);
});

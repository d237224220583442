import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { ClassJoined } from "../../core/class-signaling";
import { withPage } from "../support/browser";
import { ClassParticipant } from "../support/class-participant";
import { eventually } from "../support/clients";
import { createClass, flowing, signIn, track, waitText } from "./classroom-pages";
import { embeddedClassroom } from "./embedded-classroom";

// Media paths exercised end to end in Debian's Chromium (not only validated by the server):
// an H264 camera encoded by one page and decoded by another through the SFU, and active-speaker
// events driven by the audio levels Chromium writes into its RTP (ssrc-audio-level header extension).
const classroom = embeddedClassroom(48_600);

/**
 * Publishes a 440 Hz tone as the page's mic (WebAudio, so the test sets its loudness: `setLoudness`).
 * The tone swells and fades four times a second, from 0.003 to 1 of full scale, like syllables: the
 * dominant-speaker algorithm measures a speaker against their own noise floor (the lowest level it
 * saw, raised towards the newer minimum every 15 s of levels), so a steady tone held for 15 s
 * becomes that speaker's floor, and they are never named again (seen in CI).
 */
function publishTone(page: Page, gain: number): Promise<void> {
  return page.evaluate(async (g) => {
    const ctx = new AudioContext();
    await ctx.resume();
    const osc = ctx.createOscillator();
    osc.frequency.value = 440;
    const syllables = ctx.createGain();
    syllables.gain.value = 0.5;
    const swing = ctx.createOscillator();
    swing.frequency.value = 4;
    const depth = ctx.createGain();
    depth.gain.value = 0.497;
    swing.connect(depth).connect(syllables.gain);
    const level = ctx.createGain();
    level.gain.value = g;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(syllables).connect(level).connect(dest);
    osc.start();
    swing.start();
    (window as unknown as { toneGain: GainNode }).toneGain = level;
    const client = window.interlinkedClassroom?.client;
    if (!client) throw new Error("no classroom on the page");
    await client.publish("mic", dest.stream.getAudioTracks()[0] as MediaStreamTrack);
  }, gain);
}

function setLoudness(page: Page, gain: number): Promise<void> {
  return page.evaluate((g) => {
    (window as unknown as { toneGain: GainNode }).toneGain.gain.value = g;
  }, gain);
}

describe("class media in Chromium: H264 and active speaker", () => {
  it("an H264 camera is decoded by another page (codec video/H264, frames rising); the louder of two publishers is named active speaker, also to a late joiner", async () => {
    await withPage(classroom.browser, "class-media-teacher", async ({ page: teacher }) => {
      await signIn(teacher, classroom.base, { tenant: "school-h", user: "ms-h", role: "teacher" });
      const classId = await createClass(teacher, "Physics", "phys-1");
      await teacher.getByTestId("class-start").click();
      await waitText(teacher, "class-state", "live");
      // the camera as H264 (mediasoup-client's `codec` option), the mic as a loud tone
      await teacher.evaluate(async () => {
        const cam = (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } })).getVideoTracks()[0] as MediaStreamTrack;
        await window.interlinkedClassroom?.client.publish("camera", cam, { codec: "video/H264" });
      });
      await publishTone(teacher, 1);
      const sent = await teacher.evaluate(async () => {
        const out: string[] = [];
        const report = await window.interlinkedClassroom?.client.publishStats("camera");
        report?.forEach((s: Record<string, unknown>) => {
          if (s.type === "codec") out.push(String(s.mimeType));
        });
        return out;
      });
      expect(sent).toContain("video/H264");

      await withPage(classroom.browser, "class-media-student", async ({ page: student }) => {
        await signIn(student, classroom.base, { tenant: "school-h", user: "sid", role: "student" }, classId);
        const [first, later] = await flowing(student, "ms-h", "camera", "video");
        expect(later.mimeType).toBe("video/H264");
        expect(later.framesDecoded).toBeGreaterThan(first.framesDecoded);
        console.log(`h264: the student decoded ${later.framesDecoded} H264 frames at ${later.frameWidth}x${later.frameHeight}`);

        // a second publisher, silent at first; an observer (a plain /class socket) collects media:activeSpeaker
        await waitText(teacher, "participants", /sid/);
        await teacher.getByTestId("promote-sid").click();
        await waitText(student, "my-role", "speaker");
        await publishTone(student, 0);
        await flowing(teacher, "sid", "mic", "audio");
        const observer = await ClassParticipant.connect(classroom.base, "school-h", "obs", "student", classId);
        try {
          expect(await observer.knock()).toMatchObject({ classId, role: "student" });
          const speakers = () => observer.pushed("media:activeSpeaker").map((p) => p.user);
          // the teacher's tone is the only sound: the teacher is (or becomes) the active speaker
          await eventually(async () => (await track(student, "ms-h", "mic", "audio"))?.bytesReceived ?? 0, (n) => n > 0);
          const lateJoiner = async (user: string): Promise<ClassJoined["activeSpeaker"]> => {
            const late = await ClassParticipant.connect(classroom.base, "school-h", user, "student", classId);
            const joined = (await late.knock()) as unknown as ClassJoined;
            late.socket.close();
            return joined.activeSpeaker;
          };
          let n = 0;
          expect(await eventually(() => lateJoiner(`late${++n}`), (s) => s?.user === "ms-h")).toMatchObject({ user: "ms-h" });

          // the teacher goes on speaking past one 15 s noise-floor window (with a steady tone, this
          // made the teacher's own tone their floor, and the switch back below never came)
          await new Promise((r) => setTimeout(r, 16_000));
          // the student speaks, the teacher goes quiet: the student is named
          await setLoudness(teacher, 0);
          await setLoudness(student, 1);
          await eventually(async () => speakers().at(-1), (u) => u === "sid", 15_000);
          console.log(`active speaker: observer saw ${JSON.stringify(speakers())}`);
          // and back
          await setLoudness(student, 0);
          await setLoudness(teacher, 1);
          await eventually(async () => speakers().at(-1), (u) => u === "ms-h", 15_000);

          // a late joiner is told who speaks now
          expect(await lateJoiner(`late${++n}`)).toMatchObject({ user: "ms-h" });
        } finally {
          await observer.close();
        }
      });
    });
  }, 98_000);
});

import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streams } from "../core/contracts/streams";
import { inbound } from "../core/events";
import { storableDateTime, storableJsonObject, storableText } from "../core/storable";
import type { DatabaseHandle } from "./database";
import { EventWriter } from "./event-writer";
import { DrizzleRoomMessageStore } from "./room-message-store-drizzle";
import { ClassStore } from "./stores/classes";
import { ConversationStore } from "./stores/conversations";
import { FeedStore } from "./stores/feeds";
import { NotificationStore } from "./stores/notifications";
import { RoomStore } from "./stores/rooms";

/** Any UTF-16 string: NUL, lone surrogates of either half, pairs, and ordinary text mixed. */
const anyText = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.constantFrom("a", "\u0000", "\ud800", "\udc00", "\ud83d\ude00", "é", " ", "\\u0000", "\ufeff"), { maxLength: 12 }).map((a) => a.join("")),
);
const anyJsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, anyText, fc.double(), fc.boolean(), fc.constant(null), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(anyText, tie("value"), { maxKeys: 4 })),
})).value;
const anyObject = fc.dictionary(anyText, anyJsonValue, { maxKeys: 5 });
const anyDate = fc.oneof(
  fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom("Z", "+01:00", "-11:30", "+14:00")).map(([y, z]) => `${String(y).padStart(4, "0")}-06-15T12:00:00${z}`),
);

const TENANT = "prop-school";
const RUNS = 60;

/**
 * "Acked means stored", as a property: every value an edge schema (socket event, REST body, bus
 * envelope) accepts is stored by the database exactly — zero refusals, and text reads back unchanged.
 * Each database's runner applies it (PGlite and PostgreSQL).
 */
export function runStorableValuesContract(name: string, open: () => Promise<DatabaseHandle>): void {
  describe(`storable values: ${name}`, () => {
    let handle: DatabaseHandle;
    let writer: EventWriter;
    beforeAll(async () => {
      handle = await open();
      writer = new EventWriter(handle.db);
    });
    afterAll(async () => handle.close());

    it("room and chat messages the socket schema accepts are stored and read back exactly", async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(anyText, async (text) => {
          const room = inbound["room:message"].safeParse({ room: "r1", text });
          const chat = inbound["chat:send"].safeParse({ conversationId: randomUUID(), text });
          expect(chat.success).toBe(room.success);
          if (!room.success) return;
          accepted++;
          const seq = accepted;
          const event = streams.roomMessages.schema.parse({ v: 1, type: "room.message.created", id: randomUUID(), tenant: TENANT, at: new Date().toISOString(), data: { room: "r1", seq, user: "u1", text } });
          await writer.write("roomMessages", [event]);
          const [row] = await new DrizzleRoomMessageStore(handle.db).list(TENANT, "r1", { afterSeq: seq - 1, limit: 1 });
          expect(row?.text).toBe(text);
        }),
        { numRuns: RUNS * 3 },
      );
      expect(accepted).toBeGreaterThan(10);
    });

    it("notifications the REST schema accepts (title, body, data) are stored", async () => {
      const accepts = {
        title: storableText().min(1).max(200),
        body: storableText().max(4_000),
        data: storableJsonObject(),
      };
      await fc.assert(
        fc.asyncProperty(anyText, anyText, anyObject, async (title, body, data) => {
          if (!accepts.title.safeParse(title).success || !accepts.body.safeParse(body).success || !accepts.data.safeParse(data).success) return;
          const event = streams.notifications.schema.parse({ v: 1, type: "notification.created", id: randomUUID(), tenant: TENANT, at: new Date().toISOString(), data: { users: ["u1"], title, body, data } });
          await writer.write("notifications", [event]);
          const { items } = await new NotificationStore(handle.db).list(TENANT, "u1", { unreadOnly: false, limit: 1 });
          expect(items[0]?.title).toBe(title);
          expect(items[0]?.body).toBe(body);
        }),
        { numRuns: RUNS },
      );
    });

    it("titles of rooms, feeds, classes and group conversations, and class dates, are stored", async () => {
      const title = storableText().min(1).max(200);
      const date = storableDateTime();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(anyText, anyDate, async (t, d) => {
          if (!title.safeParse(t).success) return;
          n++;
          await new RoomStore(handle.db).create(TENANT, { room: `room${n}`, title: t, private: false, createdBy: "u1" });
          await new FeedStore(handle.db).create(TENANT, { feed: `feed${n}`, kind: "course", title: t });
          await new ConversationStore(handle.db).create(TENANT, { kind: "group", title: t, members: ["u2"], createdBy: "u1" });
          if (!date.safeParse(d).success) return;
          const created = await new ClassStore(handle.db).create(TENANT, { title: t, teacher: "u1", room: "r1", scheduledAt: new Date(d) });
          expect(created.scheduledAt).toBe(new Date(d).toISOString());
          expect((await new ClassStore(handle.db).get(TENANT, created.id))?.scheduledAt).toBe(new Date(d).toISOString());
        }),
        { numRuns: RUNS },
      );
    });

    it("refuses at the edge what a store would refuse", () => {
      expect(inbound["room:message"].safeParse({ room: "r1", text: "a\u0000b" }).success).toBe(false);
      expect(inbound["room:message"].safeParse({ room: "r1", text: "a\ud800b" }).success).toBe(false);
      expect(inbound["chat:send"].safeParse({ conversationId: randomUUID(), text: "\udc00" }).success).toBe(false);
      expect(storableJsonObject().safeParse({ k: ["\u0000"] }).success).toBe(false);
      expect(storableJsonObject().safeParse({ "\ud800": 1 }).success).toBe(false);
      expect(storableJsonObject().safeParse({ big: "x".repeat(20_000) }).success).toBe(false);
      expect(storableDateTime().safeParse("0000-06-15T12:00:00Z").success).toBe(false);
      expect(storableDateTime().safeParse("0001-06-15T12:00:00Z").success).toBe(false);
      expect(storableDateTime().safeParse("2026-06-15T12:00:00+01:00").success).toBe(true);
      expect(inbound["room:message"].safeParse({ room: "r1", text: "emoji \ud83d\ude00 ok" }).success).toBe(true);
      // PGlite drops a leading byte order mark: refused first, kept anywhere else
      expect(inbound["room:message"].safeParse({ room: "r1", text: "\ufeffx" }).success).toBe(false);
      expect(inbound["room:message"].safeParse({ room: "r1", text: "x\ufeff" }).success).toBe(true);
    });
  });
}

import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { DEAD_LETTER_TOPIC, type DeadLetter } from "../contracts/streams";
import { MemoryDeadLetters } from "./dead-letters-memory";
import { MemoryEventBus } from "./event-bus-memory";
import type { BusRecord } from "./event-bus";

const letter = (topic: string, key: string, value: string): BusRecord => {
  const l: DeadLetter = { topic, key, value, reason: "test", at: new Date().toISOString() };
  return { key, value: JSON.stringify(l) };
};

describe("MemoryDeadLetters (the embedded dead-letter topic)", () => {
  it("keeps letters published before and after it attached, lists them with positions and replays a selection to their topics", async () => {
    const bus = new MemoryEventBus();
    await bus.publish(DEAD_LETTER_TOPIC, [letter("room-messages", "t:r1", "first")]);
    const letters = await MemoryDeadLetters.attach(bus);
    await bus.publish(DEAD_LETTER_TOPIC, [letter("presence", "t:u1", "second"), { key: "x", value: "not a letter" }]);
    const listed = await letters.list();
    expect(listed.map((l) => [l.at, l.letter.topic, l.letter.value])).toEqual([
      ["0:0", "room-messages", "first"],
      ["0:1", "presence", "second"],
      ["0:2", "", "not a letter"],
    ]);

    const received: Array<[string, string]> = [];
    for (const topic of ["room-messages", "presence"]) {
      await bus.subscribe({ group: "g", topic, handler: async (records) => void received.push(...records.map((r) => [topic, r.value] as [string, string])) });
    }
    expect((await letters.replay({ positions: ["0:1"] })).map((l) => l.at)).toEqual(["0:1"]);
    expect(received).toEqual([["presence", "second"]]);
    // unknown positions: 4000, nothing replayed; a record that is no letter cannot be replayed
    await expect(letters.replay({ positions: ["0:0", "0:9"] })).rejects.toMatchObject({ code: 4000 });
    await expect(letters.replay({ positions: ["0:2"] })).rejects.toBeInstanceOf(AppError);
    expect(received).toHaveLength(1);
    // all of one topic, or every letter
    expect((await letters.replay({ all: true, topic: "room-messages" })).map((l) => l.at)).toEqual(["0:0"]);
    expect((await letters.replay({ all: true })).map((l) => l.at)).toEqual(["0:0", "0:1"]);
    expect(received).toEqual([
      ["presence", "second"],
      ["room-messages", "first"],
      ["room-messages", "first"],
      ["presence", "second"],
    ]);
    await letters.close();
    await bus.close();
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROOM_NAME_PATTERN, TENANT_ID_PATTERN, USER_ID_PATTERN } from "./tenancy";
import { classStateKeys, mediaKeys, orderingKeys, presenceKeys, revocationKeys, socketRooms, stateKeys } from "./tenant-keys";

type Builder = (tenant: string, ...parts: string[]) => string;
const families = { socketRooms, orderingKeys, stateKeys, presenceKeys, revocationKeys, classStateKeys } as Record<string, Record<string, Builder>>;
const builders = Object.entries(families).flatMap(([family, fns]) => Object.entries(fns).map(([name, fn]) => ({ name: `${family}.${name}`, fn })));

const tenant = fc.stringMatching(TENANT_ID_PATTERN);
// every other part is validated by one of these before it reaches a builder (uuids and quota names match the room pattern)
const part = fc.oneof(fc.stringMatching(ROOM_NAME_PATTERN), fc.stringMatching(USER_ID_PATTERN));
const parts = fc.array(part, { minLength: 3, maxLength: 3 });

describe("tenant-scoped names", () => {
  it("never collide across tenants, whatever the builder and the names", () => {
    fc.assert(
      fc.property(tenant, tenant, parts, parts, fc.nat(builders.length - 1), fc.nat(builders.length - 1), (a, b, pa, pb, i, j) => {
        fc.pre(a !== b);
        const ka = builders[i]!.fn(a, ...pa);
        const kb = builders[j]!.fn(b, ...pb);
        expect(ka, `${builders[i]!.name}(${a}) vs ${builders[j]!.name}(${b})`).not.toBe(kb);
      }),
      { numRuns: 5_000 },
    );
  });

  it("carry the tenant as a whole ':'-delimited segment", () => {
    fc.assert(
      fc.property(tenant, parts, (t, p) => {
        for (const { name, fn } of builders) expect(fn(t, ...p).split(":"), name).toContain(t);
      }),
    );
  });

  it("keep the names the deployed system already uses (Redis keys and Socket.IO rooms survive an upgrade)", () => {
    expect(socketRooms.room("s", "r")).toBe("t:s:room:r");
    expect(socketRooms.user("s", "u")).toBe("t:s:user:u");
    expect(socketRooms.presence("s", "u")).toBe("t:s:presence:u");
    expect(socketRooms.class("s", "c")).toBe("t:s:class:c");
    expect(orderingKeys.room("s", "r")).toBe("s:r");
    expect(orderingKeys.chatHistory("s", "c")).toBe("s:c:c");
    expect(stateKeys.idempotency("s", "u", "k")).toBe("idem:s:u:k");
    expect(revocationKeys.user("s", "u")).toBe("revoked:s:u");
    expect(presenceKeys.room("s", "r")).toBe(presenceKeys.roomPrefix("s") + "r");
  });
});

/** What Redis Cluster hashes of a key: the part inside its first `{…}` when non-empty, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("Redis Cluster hash tags", () => {
  it("put every presence key of one school in one slot, and different schools' in different tags", () => {
    fc.assert(
      fc.property(tenant, tenant, parts, (a, b, [user, room, sid]) => {
        const keys = [presenceKeys.user(a, user!), presenceKeys.session(a, sid!), presenceKeys.sessionRooms(a, sid!), presenceKeys.room(a, room!), presenceKeys.roomPrefix(a) + room];
        expect(new Set(keys.map(hashedPart)).size).toBe(1);
        if (a !== b) expect(hashedPart(presenceKeys.user(b, user!))).not.toBe(hashedPart(keys[0]!));
      }),
    );
  });

  it("put both keys of one class's stored state in one slot, and different classes' in different tags", () => {
    fc.assert(
      fc.property(tenant, parts, (t, [classId, other]) => {
        expect(hashedPart(classStateKeys.snapshot(t, classId!))).toBe(hashedPart(classStateKeys.epoch(t, classId!)));
        if (classId !== other) expect(hashedPart(classStateKeys.snapshot(t, classId!))).not.toBe(hashedPart(classStateKeys.snapshot(t, other!)));
      }),
    );
  });

  it("put the media directory's keys in one slot", () => {
    const keys = [mediaKeys.node("n1"), mediaKeys.nodePrefix + "n2", mediaKeys.nodes, mediaKeys.placement("s:c")];
    expect(new Set(keys.map(hashedPart))).toEqual(new Set(["media"]));
  });
});

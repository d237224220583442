import type { BusRecord } from "../bus/event-bus";
import { ROLES, type Role } from "../auth";
import { isStorableText } from "../storable";
import { TENANT_ID_PATTERN, USER_ID_PATTERN } from "../tenancy";
import { newEvent, streams, toRecord } from "./streams";

/**
 * The presence stream's records of a node's own sessions (`presence.session.started` / `ended`): one per
 * socket connected and one per socket closed, so a connect storm, a drain and an isolated node's close
 * build thousands a second. They carry what the node already holds (the verified token's tenant, user and
 * role, the Socket.IO id, the node's id), checked here with the same patterns as the stream's schema
 * (core/contracts/events.ts) but without the schema's per-call machinery (zod was about half of each
 * record's cost). Values outside the plain forms these checks cover go through `toRecord`, which validates
 * them with the schema and throws as it always did: nothing is written that `toRecord` would refuse.
 */

/** Socket.IO session ids (20 characters of base64url), and anything of that alphabet up to the schema's 64. */
const PLAIN_SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NODE_ID = 128;

/** Node ids already checked (a process has one; tests a few): storable text of 1–128 characters. */
const checkedNodes = new Set<string>();

function plainNode(node: string): boolean {
  if (checkedNodes.has(node)) return true;
  if (node.length < 1 || node.length > MAX_NODE_ID || !isStorableText(node)) return false;
  checkedNodes.add(node);
  return true;
}

function plainSession(tenant: string, user: string, sessionId: string): boolean {
  return TENANT_ID_PATTERN.test(tenant) && USER_ID_PATTERN.test(user) && PLAIN_SESSION_ID.test(sessionId);
}

const presenceKey = streams.presence.key;

export function sessionStartedRecord(tenant: string, user: string, role: Role, sessionId: string, node: string): BusRecord {
  const event = newEvent("presence.session.started", tenant, { sessionId, user, role, node });
  if (!plainSession(tenant, user, sessionId) || !ROLES.includes(role) || !plainNode(node)) return toRecord("presence", event);
  return { key: presenceKey(event), value: JSON.stringify(event) };
}

export function sessionEndedRecord(tenant: string, user: string, sessionId: string): BusRecord {
  const event = newEvent("presence.session.ended", tenant, { sessionId, user });
  if (!plainSession(tenant, user, sessionId)) return toRecord("presence", event);
  return { key: presenceKey(event), value: JSON.stringify(event) };
}

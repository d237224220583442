import { z } from "zod";

/**
 * Tenant (school) and room names. Clients only ever name rooms *inside* their own tenant; the server
 * derives every internal key (Socket.IO room, Redis key, Kafka key, database row) from the tenant of
 * the verified token plus a validated name. Names may not contain ':' so no crafted name can reach
 * another tenant's key space.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

export const tenantIdSchema = z.string().regex(TENANT_ID_PATTERN, "tenant must match " + TENANT_ID_PATTERN.source);
export const roomNameSchema = z.string().regex(ROOM_NAME_PATTERN, "room must match " + ROOM_NAME_PATTERN.source);
export const userIdSchema = z.string().regex(USER_ID_PATTERN, "user must match " + USER_ID_PATTERN.source);

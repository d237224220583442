/** The namespaces whose sockets join their user's room (`socketRooms.user`): `/` (lifecycle.ts) and `/class` (class-namespace.ts). */
export const USER_NAMESPACES = ["/", "/class"] as const;

/** The two HTTP/WebSocket engines a realtime node runs on (REALTIME_ENGINE); engine runners apply each case to both. */
export const engines = [
  { engine: "ws", label: "Node http + ws" },
  { engine: "uws", label: "uWebSockets.js" },
] as const;

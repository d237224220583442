import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior } from "uWebSockets.js";

/**
 * HTTP/1.1 connection semantics uWebSockets.js leaves out, added around every route of a uWS app
 * (the API's and the ones Socket.IO registers through `io.attachApp`), so clients see what Node's
 * http server would tell them:
 *
 * - a request with `Connection: close` is answered with `Connection: close` (uWS closes the connection
 *   after such a response but omits the header, so a keep-alive client reuses the dead socket and gets
 *   "socket hang up" on its next request);
 * - any other response names its idle timeout (`Keep-Alive: timeout=5`, under uWS's fixed 10 s HTTP
 *   idle timeout), so keep-alive clients retire a socket before uWS closes it;
 * - a WebSocket upgrade the Engine.IO server turns away after the handshake checks (a session already
 *   upgraded or upgrading, or gone) is accepted and closed at once with a close frame, as the ws
 *   engine does, instead of the connection being dropped without a byte.
 */

/** Seconds announced in `Keep-Alive: timeout=`; uWS closes an idle HTTP connection after 10 s. */
const KEEP_ALIVE_SECONDS = 5;

type HttpHandler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;
type Behavior = WebSocketBehavior<unknown>;
type RouteMethod = "get" | "post" | "options" | "del" | "patch" | "put" | "head" | "connect" | "trace" | "any";
const ROUTE_METHODS: ReadonlySet<string> = new Set<RouteMethod>(["get", "post", "options", "del", "patch", "put", "head", "connect", "trace", "any"]);

/**
 * How a response must end its connection. uWS closes after the response by itself only when the
 * `Connection` header is exactly `close` (any case), and then omits the header; a `close` token in a
 * list (`Upgrade, close`) it ignores unless asked with `end(body, true)`, which writes the header itself.
 */
type Ending = "keep-alive" | "uws-closes" | "ask-uws";

function endingFor(req: HttpRequest): Ending {
  const value = req.getHeader("connection").trim().toLowerCase();
  if (value === "close") return "uws-closes";
  return value.split(",").some((token) => token.trim() === "close") ? "ask-uws" : "keep-alive";
}

/** Responses already announcing (a route that yields hands the same response to the next route). */
const announcing = new WeakSet<HttpResponse>();

/** Makes `res` say how its connection ends (`Connection: close`, or the keep-alive hint) just before its head is complete. */
function announceConnection(res: HttpResponse, ending: Ending): void {
  if (announcing.has(res)) return;
  announcing.add(res);
  let announced = false;
  const announce = (header: boolean): void => {
    if (announced) return;
    announced = true;
    if (!header) return;
    if (ending === "keep-alive") res.writeHeader("Keep-Alive", `timeout=${KEEP_ALIVE_SECONDS}`);
    else res.writeHeader("Connection", "close");
  };
  const { end, endWithoutBody, tryEnd, write } = res;
  const ask = ending === "ask-uws";
  res.end = (body, closeConnection) => (announce(!ask), end.call(res, body, closeConnection || ask));
  res.endWithoutBody = (length, closeConnection) => (announce(!ask), endWithoutBody.call(res, length, closeConnection || ask));
  // no way to ask uWS to close from these two: say so anyway, the client asked for it
  res.tryEnd = (...args) => (announce(true), tryEnd.apply(res, args));
  res.write = (...args) => (announce(true), write.apply(res, args));
}

function withConnectionHeaders(handler: HttpHandler): HttpHandler {
  return (res, req) => {
    announceConnection(res, endingFor(req));
    return handler(res, req);
  };
}

/** Marks the userData of upgrades accepted only to be closed (see `answerRefusedUpgrades`); uWS copies userData's own properties. */
const REFUSED = "interlinkedRefusedUpgrade";
const isRefused = (ws: WebSocket<unknown>): boolean => (ws.getUserData() as Record<string, unknown>)[REFUSED] === true;

/**
 * Engine.IO's uWS server ends an upgrade it refuses after its checks with `res.close()`, which drops the
 * connection without an answer. Here that becomes an accepted upgrade closed at once with a close frame
 * (what engine.io does on the ws engine); every other handler skips such sockets.
 */
function answerRefusedUpgrades(behavior: Behavior): Behavior {
  const upgrade = behavior.upgrade;
  if (!upgrade) return behavior;
  return {
    ...behavior,
    upgrade: (res, req, context) => {
      // the request cannot be read once the handler has returned, and the refusal may come later
      const key = req.getHeader("sec-websocket-key");
      const protocol = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      const { close, upgrade: accept } = res;
      let answered = false;
      res.upgrade = (...args) => {
        answered = true;
        // the response stays reachable for the WebSocket's life (engine.io keeps the request, the request
        // its response): put the native methods back so these closures and the headers they hold go
        res.upgrade = accept;
        res.close = close;
        accept.apply(res, args);
      };
      res.close = () => {
        if (answered) return close.apply(res);
        answered = true;
        const userData = { [REFUSED]: true };
        try {
          res.cork(() => accept.call(res, userData, key, protocol, extensions, context));
        } catch {
          // the client went away meanwhile: nothing to answer
        }
        return res;
      };
      return upgrade(res, req, context);
    },
    open: (ws) => (isRefused(ws) ? ws.end() : behavior.open?.(ws)),
    message: (ws, message, isBinary) => (isRefused(ws) ? undefined : behavior.message?.(ws, message, isBinary)),
    drain: (ws) => (isRefused(ws) ? undefined : behavior.drain?.(ws)),
    close: (ws, code, message) => (isRefused(ws) ? undefined : behavior.close?.(ws, code, message)),
    ping: (ws, message) => (isRefused(ws) ? undefined : behavior.ping?.(ws, message)),
    pong: (ws, message) => (isRefused(ws) ? undefined : behavior.pong?.(ws, message)),
    subscription: (ws, topic, newCount, oldCount) => (isRefused(ws) ? undefined : behavior.subscription?.(ws, topic, newCount, oldCount)),
  };
}

/**
 * The app as handed to route registrations (ours and Socket.IO's): every HTTP route and WebSocket
 * behaviour registered through it gets the semantics above; everything else is the app itself.
 */
export function withClientSemantics(app: TemplatedApp): TemplatedApp {
  const view: TemplatedApp = new Proxy(app, {
    get(target, property) {
      if (property === "ws") {
        return (pattern: string, behavior: Behavior) => {
          target.ws(pattern, answerRefusedUpgrades(behavior));
          return view;
        };
      }
      if (typeof property === "string" && ROUTE_METHODS.has(property)) {
        const register = target[property as RouteMethod].bind(target);
        return (pattern: string, handler: HttpHandler) => {
          register(pattern, withConnectionHeaders(handler));
          return view;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return view;
}

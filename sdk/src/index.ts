/**
 * @interlinked/sdk — the client SDK (docs/CLIENT.md): rooms, chat, presence, notifications and feeds
 * over socket.io-client, with gap-free rejoin, resend of unacked keyed messages, token refresh and
 * numbered errors as InterlinkedError.
 */
export { createClient, type ClientOptions, type InterlinkedClient } from "./client";
export { ErrorCode, TEMPORARY_CODES, codeName, type ErrorCodeName, type ErrorCodeValue } from "./codes";
export type { ConnectionState, WireSocket } from "./connection";
export { InterlinkedError, fromErrorBody, isErrorBody, isInterlinkedError, toInterlinkedError } from "./errors";
export type { ClientEvents, ConnectionEvents } from "./events";
export { newMessageKey } from "./keys";
export type { SentMessage } from "./outbox";
export type { JoinResult, LateInfo, RecoveryInfo, RecoveryReason } from "./rejoin";
export { DEFAULT_REQUEST_TIMEOUT_MS, request, requester, type RequestOptions, type RequestSocket, type Requester } from "./request";
export { decodeJwtClaims, refreshDelayMs, type TokenClaims } from "./token";
export type * from "./protocol";

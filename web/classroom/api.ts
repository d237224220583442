/** The REST calls of the classroom page (same origin as the page). */
import { requestJson, type AttendanceRow, type LiveClass } from "../shared/rest";

export { ApiError, devToken, type AttendanceRow, type LiveClass } from "../shared/rest";

export function createClass(token: string, title: string, room: string): Promise<LiveClass> {
  return requestJson<LiveClass>("POST", "/v1/classes", token, { title, room, scheduledAt: new Date().toISOString() });
}

export function getClass(token: string, id: string): Promise<LiveClass> {
  return requestJson<LiveClass>("GET", `/v1/classes/${encodeURIComponent(id)}`, token);
}


export function attendance(token: string, id: string): Promise<{ classId: string; participants: AttendanceRow[] }> {
  return requestJson("GET", `/v1/classes/${encodeURIComponent(id)}/attendance`, token);
}

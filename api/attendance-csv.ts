import type { AttendanceRow } from "../db/stores/attendance-report";

/** The CSV columns of an attendance export, in order. */
export const ATTENDANCE_CSV_COLUMNS = ["user", "firstJoin", "lastLeave", "secondsPresent", "reconnects", "present"] as const;

/** One CSV field (RFC 4180): quoted when needed; a leading = + - @ is neutralised so no spreadsheet runs it as a formula. */
function field(value: string | number | boolean | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === "string") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * An attendance report as CSV: a header line, then one line per participant, CRLF line ends (RFC 4180).
 * A class with a roster (rows with a `status`) has a seventh column, `status` (member, absent, guest).
 */
export function attendanceCsv(rows: readonly AttendanceRow[]): string {
  const columns: ReadonlyArray<keyof AttendanceRow> = rows.some((r) => r.status) ? [...ATTENDANCE_CSV_COLUMNS, "status"] : ATTENDANCE_CSV_COLUMNS;
  const lines = [columns.join(",")];
  for (const row of rows) lines.push(columns.map((c) => field(row[c] ?? null)).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** The Content-Disposition of a class's attendance export. */
export function attendanceFilename(classId: string): string {
  return `attachment; filename="attendance-${classId}.csv"`;
}

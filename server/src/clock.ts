/** Today's date in Vietnam (UTC+7, no daylight saving) for a clock: deadlines are Vietnamese days. */
export function vietnamDate(at: Date): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

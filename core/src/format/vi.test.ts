import { describe, expect, it } from "vitest";
import { formatAgo, formatDate, formatDateTime, formatDay, formatDuration, formatNumber, formatTime } from "./vi";

describe("Vietnamese formats", () => {
  it("formats numbers with . for thousands and , for decimals", () => {
    expect(formatNumber(1234.5)).toBe("1.234,5");
    expect(formatNumber(3321)).toBe("3.321");
    expect(formatNumber(null)).toBe("");
  });
  it("formats dates as dd/mm/yyyy", () => {
    expect(formatDate("2025-02-28")).toBe("28/02/2025");
  });
  it("writes a moment as its day and time in Vietnam, with leading zeros", () => {
    // 17:05 UTC on 30/11 is already 1 December in Vietnam (UTC+7).
    const d = new Date("2026-11-30T17:05:09Z");
    expect(formatDay(d)).toBe("01/12/2026");
    expect(formatTime(d)).toBe("00:05");
    expect(formatTime(d, true)).toBe("00:05:09");
    expect(formatDateTime("2026-11-30T17:05:09Z")).toBe("01/12/2026 00:05");
    expect(formatDateTime(d, true)).toBe("01/12/2026 00:05:09");
    expect(formatDateTime(null)).toBe("");
  });
  it("says a length of time and how long ago in words", () => {
    expect(formatDuration(0)).toBe("0 giây");
    expect(formatDuration(59.8)).toBe("59 giây");
    expect(formatDuration(180)).toBe("3 phút");
    expect(formatDuration(7200)).toBe("2 giờ");
    expect(formatDuration(7500)).toBe("2 giờ 5 phút");
    expect(formatDuration(86_400 * 1500)).toBe("1.500 ngày");
    expect(formatDuration(null)).toBe("");
    expect(formatAgo(3)).toBe("vừa xong");
    expect(formatAgo(200)).toBe("3 phút trước");
    expect(formatAgo(86_400 * 4)).toBe("4 ngày trước");
  });
});

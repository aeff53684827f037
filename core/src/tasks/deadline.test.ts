import { describe, expect, it } from "vitest";
import { lastDayOfMonth, parseDeadline } from "./deadline";

describe("parseDeadline", () => {
  it("reads a month as its last day", () => {
    expect(parseDeadline("Tháng 02/2025")).toEqual({ kind: "date", precision: "month", dueDate: "2025-02-28", note: null });
    expect(parseDeadline("Tháng 3/2025")).toMatchObject({ dueDate: "2025-03-31" });
    expect(parseDeadline("Tháng 02/2024")).toMatchObject({ dueDate: "2024-02-29" });
  });
  it("reads 'Thường xuyên' as recurring", () => {
    expect(parseDeadline("Thường xuyên")).toEqual({ kind: "recurring", note: null });
  });
  it("reads a year range and keeps the note", () => {
    expect(parseDeadline("2024 - 2025 (theo lộ trình tại Nghị quyết số 175/NQ-CP của Chính phủ)")).toEqual({
      kind: "range",
      from: "2024-01-01",
      to: "2025-12-31",
      note: "theo lộ trình tại Nghị quyết số 175/NQ-CP của Chính phủ",
    });
  });
  it("reads a year, a quarter and a day", () => {
    expect(parseDeadline("Năm 2025")).toMatchObject({ kind: "date", precision: "year", dueDate: "2025-12-31" });
    expect(parseDeadline("Quý I/2025")).toMatchObject({ precision: "quarter", dueDate: "2025-03-31" });
    expect(parseDeadline("30/6/2025")).toMatchObject({ precision: "day", dueDate: "2025-06-30" });
  });
  it("rejects impossible dates rather than rolling them over", () => {
    expect(parseDeadline("31/02/2025").kind).toBe("unknown");
    expect(parseDeadline("Tháng 13/2025").kind).toBe("unknown");
  });
  it("reads 'when asked' deadlines as on request", () => {
    expect(parseDeadline("Khi Trung ương yêu cầu")).toEqual({ kind: "on_request", note: "Khi Trung ương yêu cầu" });
    expect(parseDeadline("Theo yêu cầu của Văn phòng Chính phủ").kind).toBe("on_request");
  });
  it("keeps unreadable text as a note", () => {
    expect(parseDeadline("Theo chỉ đạo")).toEqual({ kind: "unknown", note: "Theo chỉ đạo" });
  });
});

describe("lastDayOfMonth", () => {
  it("knows month lengths", () => {
    expect(lastDayOfMonth(2025, 12)).toBe("2025-12-31");
    expect(lastDayOfMonth(2025, 4)).toBe("2025-04-30");
  });
});

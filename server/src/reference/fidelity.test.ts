import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CatalogueFile, CatalogueRow, TaskListFile } from "@dieuhanh/core";
import { dataPath } from "../paths";
import { readReferenceFiles } from "./files";
import { validateReferenceFiles } from "./validate";

/**
 * The curated catalogues and task lists checked against the source documents themselves
 * (data/sources): the text as written, row counts per group and sub-group counted from the seed
 * independently of the curated files, and a sample of rows field by field.
 */

const files = readReferenceFiles();
const catalogue = (id: string): CatalogueFile => files.catalogues.find((c) => c.catalogue.id === id)!;
const taskList = (id: string): TaskListFile => files.taskLists.find((t) => t.taskList.id === id)!;
const row = (id: string, code: string): CatalogueRow => {
  const r = catalogue(id).rows.find((x) => x.code === code);
  if (!r) throw new Error(`no row ${code}`);
  return r;
};

const sourceLines = (file: string) => readFileSync(dataPath("sources", file), "utf8").split("\n");
const stripTags = (s: string) => s.replace(/<\/?i>/g, "");
/** Compared without any white space: the PDF extraction wraps cells and sometimes splits words. */
const squash = (s: string) => stripTags(s).replace(/[\s*]+/g, "");

/** True when `text` is in the source as one piece, or as two pieces split by a page break. */
function appearsIn(text: string, source: string): boolean {
  const t = squash(text);
  if (source.includes(t)) return true;
  for (let i = 1; i < t.length; i++) {
    if (source.includes(t.slice(0, i)) && source.includes(t.slice(i))) return true;
  }
  return false;
}

describe("reference data files", () => {
  it("pass every cross-file check (codes, parents, national links, frequencies, deadlines, agencies)", () => {
    expect(validateReferenceFiles(files)).toEqual([]);
  });
});

describe.each(files.catalogues.map((c) => [c.catalogue.id, c] as const))("catalogue %s against its source", (_id, file) => {
  const source = squash(readFileSync(dataPath("sources", file.catalogue.document.sourceFile), "utf8"));
  const lines = sourceLines(file.catalogue.document.sourceFile);

  it("keeps every 'as written' cell exactly as the document prints it", () => {
    const missing: string[] = [];
    for (const r of file.rows) {
      const fields = {
        nameAsWritten: r.nameAsWritten,
        unitAsWritten: r.unitAsWritten,
        scopeAsWritten: r.scopeAsWritten,
        frequencyAsWritten: r.frequencyAsWritten,
        disaggregationAsWritten: r.disaggregationAsWritten,
        agenciesAsWritten: r.agenciesAsWritten,
        sharingAgenciesAsWritten: r.sharingAgenciesAsWritten,
        collectionMethodAsWritten: r.collectionMethodAsWritten,
      };
      for (const [field, value] of Object.entries(fields)) {
        if (value && !appearsIn(value, source)) missing.push(`${r.code}.${field}: ${value}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("points each row at the source line where it starts", () => {
    const wrong: string[] = [];
    for (const r of file.rows) {
      // Kon Tum's extraction puts the STT and the name on separate short lines: look a few lines on.
      const window = squash(lines.slice(r.source.line - 1, r.source.line + 4).join(" "));
      const head = squash(r.nameAsWritten.replace(/^[-+.]\s*/, "")).slice(0, 8);
      if (!window.includes(head)) wrong.push(`${r.code} line ${r.source.line}`);
    }
    expect(wrong).toEqual([]);
  });

  it("names every group and sub-group as the document does", () => {
    for (const g of file.groups) {
      expect(appearsIn(g.nameAsWritten, source), g.code).toBe(true);
      for (const s of g.subgroups) expect(appearsIn(s.nameAsWritten, source), `${g.code}.${s.code}`).toBe(true);
    }
  });
});

/** Row counts per "group" or "group.subgroup" of a curated catalogue. */
function curatedCounts(file: CatalogueFile): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of file.rows) {
    const key = r.subgroup ? `${r.group}.${r.subgroup}` : r.group;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Counts the rows of a tab-separated appendix table straight from the seed text: a group line "A. …",
 * a sub-group line "I<tab>…", and every other non-empty line is a row — except repeated table headers
 * and the continuation of a row cut by a page break (a line with an empty STT cell straight after a header).
 */
function countTabTable(file: string, fromLine: number): Record<string, number> {
  const lines = sourceLines(file).slice(fromLine - 1);
  const counts: Record<string, number> = {};
  let group = "";
  let subgroup = "";
  let afterHeader = false;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, "");
    if (!line.trim()) continue;
    if (/^(STT|TT)\t/.test(line) || /^\t\tĐơn vị tính/.test(line)) {
      afterHeader = true;
      continue;
    }
    const g = /^([A-D])(\.\s|\t)/.exec(line);
    const s = /^([IVX]+)\t([^\t]+)(.*)$/.exec(line);
    if (g) {
      group = g[1]!;
      subgroup = "";
    } else if (s) {
      subgroup = s[1]!;
      // A sub-group heading that carries its own cells (1012's A.XIV) is also a row.
      if (s[3]!.replace(/\t/g, "").trim()) counts[`${group}.${subgroup}`] = (counts[`${group}.${subgroup}`] ?? 0) + 1;
    } else if (!(afterHeader && /^\t\t/.test(line))) {
      // (a line with empty STT and name cells right after a header continues a row cut by the page break)
      const key = subgroup ? `${group}.${subgroup}` : group;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    afterHeader = false;
  }
  return counts;
}

describe("row counts per group and sub-group", () => {
  it("1012/QĐ-TTg Phụ lục II: counted from the seed and as curated", () => {
    const expected = {
      "A.I": 5,
      "A.II": 8,
      "A.III": 5,
      "A.IV": 8,
      "A.V": 6,
      "A.VI": 8,
      "A.VII": 1,
      "A.VIII": 1,
      "A.IX": 7,
      "A.X": 4,
      "A.XI": 9,
      "A.XII": 5,
      "A.XIII": 8,
      "A.XIV": 1,
      B: 16,
      C: 4,
      D: 8,
    };
    expect(countTabTable("000_QD-1012-TTg_2024_quyet-dinh-va-ke-hoach.txt", 358)).toEqual(expected);
    expect(curatedCounts(catalogue("qd1012"))).toEqual(expected);
  });

  it("Đắk Nông 197/KH-UBND: counted from the seed and as curated", () => {
    const expected = {
      "A.I": 4,
      "A.II": 4,
      "A.III": 5,
      "A.IV": 7,
      "A.V": 8,
      "A.VI": 12,
      "A.VII": 1,
      "A.VIII": 11,
      "A.IX": 27,
      "A.X": 15,
      "A.XI": 25,
      "A.XII": 8,
      "A.XIII": 1,
      B: 15,
      C: 6,
      D: 9,
    };
    expect(countTabTable("003_Dak-Nong_ke-hoach-197-va-bo-chi-so.txt", 170)).toEqual(expected);
    expect(curatedCounts(catalogue("daknong-197"))).toEqual(expected);
  });

  it("Cần Thơ 256/KH-UBND Phụ lục II: counted from the seed and as curated", () => {
    const expected = { "A.I": 31, "A.II": 18, "A.III": 3, "A.IV": 4, C: 5, "D.I": 22, "D.II": 16, "D.III": 5 };
    expect(countTabTable("004_Can-Tho_ke-hoach-256.txt", 284)).toEqual(expected);
    expect(curatedCounts(catalogue("cantho-256"))).toEqual(expected);
  });

  it("Kon Tum Phụ lục II: as curated, and every numbered row's source line starts with its STT", () => {
    const kontum = catalogue("kontum");
    expect(curatedCounts(kontum)).toEqual({
      "A.I": 4,
      "A.II": 7,
      "A.III": 5,
      "A.IV": 7,
      "A.V": 5,
      "A.VI": 8,
      "A.VII": 1,
      "A.VIII": 1,
      "A.IX": 7,
      "A.X": 4,
      "A.XI": 9,
      "A.XII": 5,
      "A.XIII": 8,
      "A.XIV": 1,
      B: 16,
      C: 4,
      D: 8,
    });
    const lines = sourceLines("002_Kon-Tum_ke-hoach-trien-khai-1012.txt");
    for (const r of kontum.rows.filter((x) => x.stt && /^\d+$/.test(x.stt))) {
      expect(lines[r.source.line - 1]!.trim().split(/\s+/)[0], r.code).toBe(r.stt);
    }
  });
});

describe("sampled rows, field by field", () => {
  it("1012 A.II.1 Thu ngân sách", () => {
    expect(row("qd1012", "QG.A.II.1")).toMatchObject({
      stt: "1",
      kind: "indicator",
      nameAsWritten: "Thu ngân sách (lũy kế đến kỳ báo cáo; so sánh với dự toán)",
      name: "Thu ngân sách",
      scopeAsWritten: "Cả nước/ Tỉnh, thành phố",
      scopeLevels: ["nation", "province"],
      frequencyAsWritten: "Ngày/ Tháng",
      disaggregationAsWritten: "Các khoản thu chủ yếu",
      agencies: ["Bộ Tài chính"],
      comparisons: ["ytd_cumulative", "vs_estimate"],
      unitAsWritten: null,
      unitInferred: true,
    });
  });

  it("1012 A.XI.5 keeps the typo 'Ngô độc' and corrects the display name", () => {
    expect(row("qd1012", "QG.A.XI.5")).toMatchObject({
      nameAsWritten: "Ngô độc thực phẩm (số vụ, số người bị ngộ độc, số người chết...)",
      name: "Ngộ độc thực phẩm",
      agencies: ["Bộ Y tế"],
    });
  });

  it("1012 A.IX.2 splits three agencies, one of which contains a comma", () => {
    expect(row("qd1012", "QG.A.IX.2").agencies).toEqual(["Bộ Quốc phòng", "Bộ Công an", "Bộ Văn hóa, Thể thao và Du lịch"]);
  });

  it("1012 B.7 and its 'Trong đó' row", () => {
    expect(row("qd1012", "QG.B.7")).toMatchObject({ nameAsWritten: "Tỷ lệ lao động qua đào tạo", frequencyAsWritten: "Quý/Năm" });
    expect(row("qd1012", "QG.B.7.td1")).toMatchObject({
      kind: "of_which",
      parentCode: "QG.B.7",
      stt: null,
      frequencyAsWritten: "Quý/Năm",
    });
    expect(row("qd1012", "QG.B.7.td1").nameAsWritten).toContain("Tỷ lệ lao động qua đào tạo có văn bằng, chứng chỉ");
  });

  it("Đắk Nông A.V.2.1 sub-indicator with its written unit", () => {
    expect(row("daknong-197", "DN.A.V.2.1")).toMatchObject({
      stt: "2.1",
      kind: "sub_indicator",
      parentCode: "DN.A.V.2",
      nameAsWritten: "Đá xây dựng các loại",
      unitAsWritten: "m ³",
      unit: "m³",
      unitInferred: false,
      scopeAsWritten: "Toàn tỉnh",
      frequencyAsWritten: "Tháng",
      agencies: ["Sở Công Thương"],
      collectionMethodAsWritten: "Nhập hệ thống báo cáo của tỉnh",
      nationalCode: "QG.A.V.2",
    });
  });

  it("Đắk Nông A.VI.1.2 with district disaggregation", () => {
    expect(row("daknong-197", "DN.A.VI.1.2")).toMatchObject({
      nameAsWritten: "Xuất khẩu ván ép, tre ghép, viên nén",
      unitAsWritten: "Tiền",
      disaggregationAsWritten: "Huyện, thành phố",
      dimensions: ["district"],
      agencies: ["Sở Nông nghiệp và Môi trường"],
    });
  });

  it("Cần Thơ A.I.1 with its data-sharing ministry", () => {
    expect(row("cantho-256", "CT.A.I.1")).toMatchObject({
      nameAsWritten: "Chỉ số giá tiêu dùng tháng (so với tháng trước; so với cuối năm trước; so với cùng kỳ năm trước)",
      agencies: ["Cục Thống kê"],
      scopeAsWritten: "Thành phố",
      frequencyAsWritten: "Tháng",
      disaggregationAsWritten: "Rô hàng hóa (11 nhóm hàng chính)",
      sharingAgencies: ["Bộ Kế hoạch và Đầu tư"],
      nationalCode: "QG.A.I.1",
    });
  });

  it("Cần Thơ D.I.1 GRDP growth with its four sector bullets", () => {
    const grdp = row("cantho-256", "CT.D.I.1");
    expect(grdp).toMatchObject({
      nameAsWritten: "Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP)",
      agencies: ["Cục Thống kê", "Sở Kế hoạch và Đầu tư"],
      frequencyAsWritten: "Quý, 6 tháng, 9 tháng, năm",
    });
    const bullets = catalogue("cantho-256").rows.filter((r) => r.parentCode === "CT.D.I.1");
    expect(bullets.map((b) => b.nameAsWritten)).toEqual([
      "Nông lâm nghiệp, thủy sản",
      "Công nghiệp, xây dựng",
      "Dịch vụ",
      "Thuế sản phẩm trừ trợ cấp",
    ]);
  });

  it("Kon Tum A.I.1 as Kon Tum wrote it", () => {
    expect(row("kontum", "KT.A.I.1")).toMatchObject({
      nameAsWritten: "Chỉ số giá tiêu dùng tháng (so với tháng trước; so với tháng 12 năm trước; so với cùng kỳ năm trước)",
      scopeAsWritten: "Toàn tỉnh",
      frequencyAsWritten: "Tháng",
      disaggregationAsWritten: "11 nhóm hàng chính",
      agencies: ["Cục Thống kê tỉnh"],
      nationalCode: "QG.A.I.1",
    });
  });
});

describe("task lists against their sources", () => {
  const perSection = (t: TaskListFile) =>
    Object.fromEntries(t.sections.map((s) => [s.code, t.tasks.filter((x) => x.section === s.code).length]));

  it("counts tasks per section", () => {
    expect(perSection(taskList("qd1012-tasks"))).toEqual({ I: 3, II: 10, III: 5, IV: 5, V: 2, VI: 3 });
    expect(perSection(taskList("kontum-tasks"))).toEqual({ I: 3, II: 4, III: 4, IV: 5, V: 2, VI: 3 });
    expect(perSection(taskList("cantho-256-tasks"))).toEqual({ I: 4, II: 5, III: 4, IV: 5, V: 3, VI: 2 });
  });

  it.each(files.taskLists.map((t) => [t.taskList.id, t] as const))("%s keeps task text as written", (_id, t) => {
    const sourceFile = catalogue(t.taskList.catalogueId).catalogue.document.sourceFile;
    const source = squash(readFileSync(dataPath("sources", sourceFile), "utf8"));
    const missing: string[] = [];
    for (const task of t.tasks) {
      for (const [field, value] of Object.entries({
        nameAsWritten: task.nameAsWritten,
        expectedResultAsWritten: task.expectedResultAsWritten,
        deadlineAsWritten: task.deadlineAsWritten,
        leadAgenciesAsWritten: task.leadAgenciesAsWritten,
        coordinatingAgenciesAsWritten: task.coordinatingAgenciesAsWritten,
      })) {
        if (value && !appearsIn(value, source)) missing.push(`${task.code}.${field}: ${value}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("joins the national task II.1 that a page break cut in two", () => {
    const task = taskList("qd1012-tasks").tasks.find((t) => t.code === "QG.NV.II.1")!;
    expect(task.nameAsWritten).toContain(
      "Hệ thống thông tin chỉ đạo, điều hành của Chính phủ, Thủ tướng Chính phủ tại Trung tâm dữ liệu quốc gia",
    );
    expect(task.deadlineAsWritten).toBe("2024 - 2025 (theo lộ trình tại Nghị quyết số 175/NQ-CP của Chính phủ)");
    expect(task.leadAgencies).toEqual(["Bộ Công an"]);
    expect(task.coordinatingAgencies).toEqual(["Văn phòng Chính phủ"]);
  });
});

import { readdirSync } from "node:fs";
import { AgencyFile, CatalogueFile, DimensionFile, TaskListFile } from "@dieuhanh/core";
import type { z } from "zod";
import { dataPath, readJson } from "../paths";

/** The curated reference-data files shipped in data/ (docs/data-format.md). */
export interface ReferenceFiles {
  agencies: AgencyFile;
  /** National catalogue first: provincial rows link to it. */
  catalogues: CatalogueFile[];
  taskLists: TaskListFile[];
  dimensions: DimensionFile;
}

function parse<T extends z.ZodTypeAny>(schema: T, file: string): z.infer<T> {
  const result = schema.safeParse(readJson(file));
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 20)
      .map((i) => `  ${i.path.join(".")}: ${i.message}`)
      .join("\n");
    throw new Error(`Tệp dữ liệu ${file} không đúng định dạng:\n${issues}`);
  }
  return result.data;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dataPath(dir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => dataPath(dir, f));
}

export function readReferenceFiles(): ReferenceFiles {
  const catalogues = jsonFiles("catalogues").map((f) => parse(CatalogueFile, f));
  catalogues.sort(
    (a, b) => Number(b.catalogue.issuingArea.level === "nation") - Number(a.catalogue.issuingArea.level === "nation"),
  );
  return {
    agencies: parse(AgencyFile, dataPath("agencies", "agencies.json")),
    catalogues,
    taskLists: jsonFiles("tasks").map((f) => parse(TaskListFile, f)),
    dimensions: parse(DimensionFile, dataPath("dimensions", "dimensions.json")),
  };
}

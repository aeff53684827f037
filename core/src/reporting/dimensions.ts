import { z } from "zod";

/** The dimension code lists in data/dimensions/dimensions.json (docs/data-format.md). */
export const DimensionOption = z.object({
  code: z.string().regex(/^[A-Z0-9_]{1,12}$/, "mã phương án: chữ in hoa, số, _; tối đa 12 ký tự"),
  name: z.string().min(1),
  parent: z.string().nullable(),
});

export const Dimension = z.object({
  code: z.string().regex(/^[a-z][a-z0-9_]*$/),
  name: z.string().min(1),
  description: z.string().nullable().optional(),
  partition: z.boolean(),
  optionsFrom: z.string().nullable(),
  source: z.string().nullable().optional(),
  options: z.array(DimensionOption),
});
export type Dimension = z.infer<typeof Dimension>;

export const DimensionFile = z.object({ dimensions: z.array(Dimension) });
export type DimensionFile = z.infer<typeof DimensionFile>;

import type { SelectQueryBuilder } from "kysely";

/**
 * A page of a filtered query and the total it was cut from: `filtered` carries the FROM and WHERE,
 * `page` adds the columns, order, limit and offset. Both run together.
 */
export async function pageWithTotal<DB, TB extends keyof DB, O>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  page: (query: SelectQueryBuilder<DB, TB, object>) => { execute(): Promise<O[]> },
): Promise<{ items: O[]; total: number }> {
  const [items, count] = await Promise.all([
    page(filtered).execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number((count as { n: number | string }).n) };
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { colocationGroup, distributionColumn, placementOf } from "./distribution";
import { splitSqlSync } from "./sql-split";

/**
 * The statement shapes Citus refuses (docs/decisions/0010-distribution.md), found in SQL text with
 * PostgreSQL's own parser. Run over every migration and the SQL in server/src by citus-lint.test.ts; the
 * end schema's keys, foreign keys and triggers are checked there from the catalogue of a migrated database.
 */
export interface Violation {
  /** Where: a file and a line, or a migration's name. */
  where: string;
  rule: Rule;
  message: string;
  /** The statement, shortened. */
  sql: string;
}

export type Rule =
  | "lateral-limit"
  | "add-column-constraint"
  | "drop-and-add-constraint"
  | "trigger-not-local"
  | "update-by-id"
  | "join-off-distribution-column"
  | "key-without-distribution-column"
  | "foreign-key"
  | "unclassified-table";

type Node = Record<string, unknown>;

const isObject = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every node of a parse tree, depth first, each as `[type, body]` (`{ SelectStmt: body }` → ["SelectStmt", body]). */
function* walk(value: unknown): Generator<[string, Node]> {
  if (Array.isArray(value)) {
    for (const v of value) yield* walk(v);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (isObject(v) && /^[A-Z]/.test(k)) yield [k, v];
      // The arms of a UNION are SelectStmt bodies without their wrapper.
      else if ((k === "larg" || k === "rarg") && isObject(v) && "op" in v) yield ["SelectStmt", v];
      yield* walk(v);
    }
  }
}

const relname = (rangeVar: unknown): string | undefined =>
  isObject(rangeVar) && typeof rangeVar.relname === "string" ? rangeVar.relname : undefined;

const aliasOf = (rangeVar: unknown): string | undefined => {
  const alias = isObject(rangeVar) ? rangeVar.alias : undefined;
  return isObject(alias) && typeof alias.aliasname === "string" ? alias.aliasname : undefined;
};

/** The column references in a tree, as their name parts (`d.id` → ["d", "id"]). */
function columnRefs(tree: unknown): string[][] {
  const out: string[][] = [];
  for (const [type, body] of walk(tree)) {
    if (type !== "ColumnRef" || !Array.isArray(body.fields)) continue;
    out.push(
      body.fields.map((f: unknown) => {
        const s = isObject(f) && isObject(f.String) ? f.String.sval : undefined;
        return typeof s === "string" ? s : "*";
      }),
    );
  }
  return out;
}

const short = (sql: string) => {
  const one = sql.replace(/\s+/g, " ").trim();
  return one.length > 160 ? `${one.slice(0, 157)}…` : one;
};

/** The distributed tables a tree reads (by name). */
const distributedTablesIn = (tree: unknown): string[] =>
  [...walk(tree)].flatMap(([type, body]) => {
    const name = type === "RangeVar" ? relname(body) : undefined;
    return name && distributionColumn(name) ? [name] : [];
  });

/**
 * What to check. `structural: false` leaves out the keys and foreign keys of the tables a statement
 * creates or alters: for the migrations written before the schema was made distributable (and every down
 * part, which goes back to that schema), whose end result the test checks in the catalogue instead.
 */
export interface LintOptions {
  structural?: boolean;
  /** `false` leaves out the rules on queries (joins, LATERAL, UPDATE by id): for the migrations that run before the tables are distributed. */
  queries?: boolean;
}

/** Lints one parsed statement; `where` names its place for the messages. */
export function lintStatement(tree: Node, text: string, where: string, options: LintOptions = {}): Violation[] {
  const structural = options.structural ?? true;
  const queries = options.queries ?? true;
  const out: Violation[] = [];
  const add = (rule: Rule, message: string) => out.push({ where, rule, message, sql: short(text) });

  for (const [type, body] of walk({ root: tree })) {
    // LATERAL subquery with LIMIT over a distributed table: Citus cannot push it down to the shards.
    if (queries && type === "RangeSubselect" && body.lateral === true) {
      const limited = [...walk(body.subquery)].some(([t, b]) => t === "SelectStmt" && b.limitCount !== undefined);
      const tables = distributedTablesIn(body.subquery);
      if (limited && tables.length)
        add(
          "lateral-limit",
          `LATERAL subquery with LIMIT over the distributed table ${tables[0]}: Citus refuses it; use DISTINCT ON or row_number() over a join`,
        );
    }

    if (type === "AlterTableStmt" && Array.isArray(body.cmds)) {
      const table = relname(body.relation) ?? "?";
      const cmds = body.cmds.map((c: unknown) => (isObject(c) && isObject(c.AlterTableCmd) ? c.AlterTableCmd : {}));
      for (const cmd of cmds) {
        if (cmd.subtype !== "AT_AddColumn" || !isObject(cmd.def) || !isObject(cmd.def.ColumnDef)) continue;
        const constraints = (cmd.def.ColumnDef.constraints as unknown[] | undefined) ?? [];
        const refused = constraints
          .map((c) => (isObject(c) && isObject(c.Constraint) ? String(c.Constraint.contype) : ""))
          .filter((t) => ["CONSTR_FOREIGN", "CONSTR_CHECK", "CONSTR_PRIMARY", "CONSTR_UNIQUE"].includes(t));
        if (refused.length)
          add(
            "add-column-constraint",
            `ALTER TABLE ${table} ADD COLUMN ${String(cmd.def.ColumnDef.colname)} with ${refused
              .map((t) => t.replace("CONSTR_", ""))
              .join(", ")}: Citus refuses it; ADD COLUMN, then ADD CONSTRAINT in a statement of its own`,
          );
      }
      const subtypes = new Set(cmds.map((c: Node) => c.subtype));
      if (subtypes.has("AT_DropConstraint") && subtypes.has("AT_AddConstraint"))
        add(
          "drop-and-add-constraint",
          `ALTER TABLE ${table} drops and adds a constraint in one statement: Citus refuses it; two statements`,
        );
      for (const cmd of cmds) {
        if (structural && cmd.subtype === "AT_AddConstraint" && isObject(cmd.def) && isObject(cmd.def.Constraint))
          out.push(...lintConstraint(table, cmd.def.Constraint, text, where));
      }
    }

    if (structural && type === "CreateStmt" && isObject(body.relation) && Array.isArray(body.tableElts)) {
      const table = relname(body.relation)!;
      for (const el of body.tableElts) {
        if (!isObject(el)) continue;
        if (isObject(el.Constraint)) out.push(...lintConstraint(table, el.Constraint, text, where));
        if (isObject(el.ColumnDef))
          for (const c of (el.ColumnDef.constraints as unknown[] | undefined) ?? [])
            if (isObject(c) && isObject(c.Constraint))
              out.push(...lintConstraint(table, c.Constraint, text, where, String(el.ColumnDef.colname)));
      }
    }

    if (structural && type === "IndexStmt" && body.unique === true) {
      const table = relname(body.relation) ?? "?";
      const column = distributionColumn(table);
      const columns = ((body.indexParams as unknown[] | undefined) ?? []).map((p) =>
        isObject(p) && isObject(p.IndexElem) ? p.IndexElem.name : undefined,
      );
      if (column && !columns.includes(column))
        add(
          "key-without-distribution-column",
          `unique index on the distributed table ${table} without its distribution column ${column}: Citus refuses it`,
        );
    }

    if (type === "CreateTrigStmt") {
      const table = relname(body.relation) ?? "?";
      const placement = placementOf(table);
      if (placement && placement.kind !== "local")
        add(
          "trigger-not-local",
          `trigger on the ${placement.kind} table ${table}: Citus refuses triggers on distributed and reference tables; keep the table local or do it in the application`,
        );
    }

    // Two distributed tables in one FROM must be joined on their distribution columns (co-located), or
    // Citus refuses the query (repartition joins are off by default and slow).
    if (queries && (type === "SelectStmt" || type === "UpdateStmt" || type === "DeleteStmt")) {
      const items: unknown[] = [
        ...(type === "SelectStmt" ? [] : [body.relation]),
        ...(((body.fromClause ?? body.usingClause) as unknown[] | undefined) ?? []),
      ];
      const scope = distributedInScope(items);
      if (scope.length > 1) {
        const quals = [body.whereClause, ...joinQuals(items)];
        const linked = linkedByDistributionColumns(scope, quals);
        if (!linked)
          add(
            "join-off-distribution-column",
            `${scope.map((s) => `${s.table} ${s.alias}`).join(", ")} joined without their distribution columns equal: Citus refuses a join of distributed tables that is not on them; join on ${scope.map((s) => `${s.alias}.${s.column}`).join(" = ")} too`,
          );
      }
    }

    if (queries && (type === "UpdateStmt" || type === "DeleteStmt")) {
      const table = relname(body.relation);
      const column = table ? distributionColumn(table) : undefined;
      if (table && column) {
        const alias = aliasOf(body.relation) ?? table;
        const own = (parts: string[]) => (parts.length === 1 ? parts[0] : parts[0] === alias ? parts[1] : undefined);
        const used = new Set(columnRefs(body.whereClause).map(own));
        if (used.has("id") && !used.has(column))
          add(
            "update-by-id",
            `${type === "UpdateStmt" ? "UPDATE" : "DELETE"} of the distributed table ${table} by id without ${column}: on Citus it goes to every shard (and the shapes above refuse it); add ${column} to the condition`,
          );
      }
    }
  }
  return out;
}

/** The distributed tables a FROM list names directly (through joins, not into subqueries), with their aliases. */
function distributedInScope(items: unknown[]): { table: string; alias: string; column: string }[] {
  const out: { table: string; alias: string; column: string }[] = [];
  const visit = (item: unknown) => {
    if (!isObject(item)) return;
    const rv = isObject(item.RangeVar) ? item.RangeVar : "relname" in item ? item : undefined;
    if (rv) {
      const table = relname(rv);
      const column = table ? distributionColumn(table) : undefined;
      if (table && column) out.push({ table, alias: aliasOf(rv) ?? table, column });
    } else if (isObject(item.JoinExpr)) {
      visit(item.JoinExpr.larg);
      visit(item.JoinExpr.rarg);
    }
  };
  items.forEach(visit);
  return out;
}

/** The ON conditions of the joins in a FROM list. */
function joinQuals(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  const visit = (item: unknown) => {
    if (!isObject(item) || !isObject(item.JoinExpr)) return;
    out.push(item.JoinExpr.quals);
    visit(item.JoinExpr.larg);
    visit(item.JoinExpr.rarg);
  };
  items.forEach(visit);
  return out;
}

/** Whether equalities `a.col = b.col` between distribution columns link every table of the scope together. */
function linkedByDistributionColumns(scope: { alias: string; column: string }[], quals: unknown[]): boolean {
  const parent = new Map(scope.map((s) => [s.alias, s.alias]));
  const find = (a: string): string => (parent.get(a) === a ? a : find(parent.get(a)!));
  const distRef = (e: unknown) => {
    const ref = isObject(e) && isObject(e.ColumnRef) ? columnRefs(e)[0] : undefined;
    if (!ref || ref.length !== 2) return undefined;
    return scope.find((s) => s.alias === ref[0] && s.column === ref[1])?.alias;
  };
  for (const [type, body] of walk(quals)) {
    if (type !== "A_Expr" || body.kind !== "AEXPR_OP") continue;
    const op = Array.isArray(body.name) ? columnRefs({ ColumnRef: { fields: body.name } })[0]?.[0] : undefined;
    if (op !== "=") continue;
    const a = distRef(body.lexpr);
    const b = distRef(body.rexpr);
    if (a && b) parent.set(find(a), find(b));
  }
  return new Set(scope.map((s) => find(s.alias))).size === 1;
}

function lintConstraint(table: string, c: Node, text: string, where: string, columnName?: string): Violation[] {
  const out: Violation[] = [];
  const add = (rule: Rule, message: string) => out.push({ where, rule, message, sql: short(text) });
  const names = (list: unknown) =>
    Array.isArray(list) ? list.map((k) => (isObject(k) && isObject(k.String) ? String(k.String.sval) : "?")) : [];
  const column = distributionColumn(table);
  if ((c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE") && column) {
    const keys = c.keys ? names(c.keys) : columnName ? [columnName] : [];
    if (!keys.includes(column))
      add(
        "key-without-distribution-column",
        `${c.contype === "CONSTR_PRIMARY" ? "primary" : "unique"} key (${keys.join(", ")}) of the distributed table ${table} without its distribution column ${column}`,
      );
  }
  if (c.contype === "CONSTR_FOREIGN") {
    const target = relname(c.pktable) ?? "?";
    const problem = foreignKeyProblem(table, target, c.fk_attrs ? names(c.fk_attrs) : columnName ? [columnName] : [], {
      onDelete: String(c.fk_del_action ?? "a"),
      onUpdate: String(c.fk_upd_action ?? "a"),
      targetColumns: names(c.pk_attrs),
    });
    if (problem) add("foreign-key", problem);
  }
  return out;
}

/**
 * Why Citus refuses a foreign key from `table` to `target`, or null: a distributed table may point only at a
 * reference table or, on its distribution column, at a table of its co-location group; a reference table
 * only at a reference or local table, the latter with NO ACTION or RESTRICT; nothing points at a distributed
 * table but its own group. `a` = NO ACTION, `r` = RESTRICT (pg_constraint's and the parser's letters).
 */
export function foreignKeyProblem(
  table: string,
  target: string,
  columns: string[],
  options: { onDelete: string; onUpdate: string; targetColumns: string[] },
): string | null {
  const from = placementOf(table);
  const to = placementOf(target);
  if (!from || !to) return null; // an unclassified table is reported on its own
  if (from.kind === "distributed") {
    if (to.kind === "reference") return null;
    if (to.kind === "distributed" && colocationGroup(table) === colocationGroup(target)) {
      const at = columns.indexOf(from.column);
      if (at >= 0 && options.targetColumns[at] === to.column) return null;
      return `foreign key ${table} (${columns.join(", ")}) → ${target} does not join on the distribution columns (${from.column} → ${to.column})`;
    }
    return `foreign key from the distributed table ${table} to the ${to.kind} table ${target}${to.kind === "distributed" ? " of another co-location group" : ""}: Citus refuses it`;
  }
  if (to.kind === "distributed")
    return `foreign key from the ${from.kind} table ${table} to the distributed table ${target}: Citus refuses it`;
  if (from.kind === "reference" && to.kind === "local" && !(/^[ar]$/.test(options.onDelete) && /^[ar]$/.test(options.onUpdate)))
    return `foreign key from the reference table ${table} to the local table ${target} with a cascading action: Citus allows only NO ACTION or RESTRICT`;
  return null;
}

/** Lints a SQL script (a migration's part, a .sql file): each statement by itself. */
export function lintScript(script: string, where: string, options: LintOptions = {}): Violation[] {
  return splitSqlSync(script).flatMap((s) => lintStatement(s.tree, s.text, where, options));
}

/** A SQL text found in TypeScript source: a kysely `sql` template (interpolations as $1, $2 …). */
export interface FoundSql {
  where: string;
  text: string;
}

/** The `sql\`…\`` templates of a TypeScript file, and the kysely builder calls that update or delete a table. */
export function sqlInTypeScript(file: string, source: string, root: string): { templates: FoundSql[]; builder: Violation[] } {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const rel = path.relative(root, file);
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const templates: FoundSql[] = [];
  const builder: Violation[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isTaggedTemplateExpression(node)) {
      // `sql\`…\`` and `sql<Row>\`…\`` (the type arguments sit on the tagged template, the tag stays `sql`).
      const isSql = ts.isIdentifier(node.tag) && node.tag.text === "sql";
      if (isSql) {
        const t = node.template;
        const text = ts.isNoSubstitutionTemplateLiteral(t)
          ? t.text
          : t.head.text + t.templateSpans.map((s, i) => `$${i + 1}${s.literal.text}`).join("");
        templates.push({ where: `${rel}:${lineOf(node)}`, text });
      }
    }
    // trx.updateTable("data_values") … .where("id", …) without the distribution column.
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ["updateTable", "deleteFrom"].includes(node.expression.name.text) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      const [table = "", alias] = node.arguments[0].text.split(/\s+as\s+/);
      const column = distributionColumn(table);
      if (column) {
        // The whole chain the call starts: climb while the parent continues it (`.where(…)`, `.set(…)` …).
        let top: ts.Node = node;
        while (
          (ts.isPropertyAccessExpression(top.parent) && top.parent.expression === top) ||
          (ts.isCallExpression(top.parent) && top.parent.expression === top)
        )
          top = top.parent;
        const columns = new Set<string>();
        const collect = (n: ts.Node) => {
          if (
            ts.isCallExpression(n) &&
            ts.isPropertyAccessExpression(n.expression) &&
            /^(where|orWhere|whereRef)$/.test(n.expression.name.text) &&
            n.arguments[0] &&
            ts.isStringLiteral(n.arguments[0])
          )
            columns.add(n.arguments[0].text.replace(new RegExp(`^${alias ?? table}\\.`), ""));
          n.forEachChild(collect);
        };
        collect(top);
        if (columns.has("id") && !columns.has(column))
          builder.push({
            where: `${rel}:${lineOf(node)}`,
            rule: "update-by-id",
            message: `${node.expression.name.text}("${table}") by id without ${column}: add ${column} to the condition`,
            sql: short(top.getText(sf)),
          });
      }
    }
    node.forEachChild(visit);
  };
  visit(sf);
  return { templates, builder };
}

/**
 * Lints a template found in TypeScript. Its interpolations are values (`$1`) or SQL fragments (a column, a
 * condition, a table): it is parsed with `$n` in their place, else with a column name `p_n` there (a
 * condition or a column parses as one), else with a subquery there (`FROM (${rows}) AS k`), else with
 * nothing (an optional clause); a template that parses no way is checked by its text for the shapes a
 * fragment cannot hide.
 */
export function lintTemplate(found: FoundSql): { violations: Violation[]; parsed: boolean } {
  const ways = [
    found.text,
    found.text.replace(/\$(\d+)/g, "p_$1"),
    found.text.replace(/\$(\d+)/g, "(SELECT 1)"),
    found.text.replace(/\$(\d+)/g, ""),
  ];
  for (const text of ways) {
    try {
      return { violations: lintScript(text, found.where), parsed: true };
    } catch {
      // next way
    }
  }
  const violations: Violation[] = [];
  const add = (rule: Rule, message: string) => violations.push({ where: found.where, rule, message, sql: short(found.text) });
  const lateral = /\bLATERAL\s*\(([\s\S]*)/i.exec(found.text);
  if (lateral && /\bLIMIT\b/i.test(lateral[1]!)) {
    const tables = [...lateral[1]!.matchAll(/\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)/gi)].map((m) => m[1]!.toLowerCase());
    const hit = tables.find((t) => distributionColumn(t));
    if (hit)
      add(
        "lateral-limit",
        `LATERAL subquery with LIMIT over the distributed table ${hit}: Citus refuses it; use DISTINCT ON or row_number() over a join`,
      );
  }
  const change = /^\s*(?:UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)\b([\s\S]*)$/i.exec(found.text);
  const column = change ? distributionColumn(change[1]!.toLowerCase()) : undefined;
  if (change && column) {
    const where = /\bWHERE\b([\s\S]*)/i.exec(change[2]!)?.[1] ?? "";
    if (/(^|[^a-z_.])(?:[a-z_]+\.)?id\b/i.test(where) && !new RegExp(`\\b${column}\\b`).test(where))
      add("update-by-id", `change of the distributed table ${change[1]} by id without ${column}: add ${column} to the condition`);
  }
  return { violations, parsed: false };
}

/** The files under `dir` whose names match, recursively (node_modules skipped). */
export function filesUnder(dir: string, match: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, match));
    else if (match(name)) out.push(p);
  }
  return out.sort();
}

export const readText = (file: string) => readFileSync(file, "utf8");

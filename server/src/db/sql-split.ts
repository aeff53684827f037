import { loadModule, parseSync } from "libpg-query";

let loading: Promise<void> | undefined;

/** Loads PostgreSQL's own parser (libpg-query, compiled to WebAssembly) once per process. */
export function loadSqlParser(): Promise<void> {
  return (loading ??= loadModule());
}

/** One statement of a script, as written (comments inside it kept, the `;` and the space around it not). */
export interface SqlStatement {
  text: string;
  /** The statement's parse tree, as PostgreSQL's parser gives it (`{ CreateStmt: { … } }`, …). */
  tree: Record<string, unknown>;
}

/**
 * Splits a SQL script into its statements with PostgreSQL's own parser, so that quotes ('…', E'…\'…',
 * "…"), dollar-quoted bodies ($$ … $$, $tag$ … $tag$) and comments (-- …, nested /* … *\/) hide their
 * semicolons exactly as they do on the server. A script that does not parse is refused with the parser's
 * message and the line it stopped at. Call `loadSqlParser()` first (once).
 */
export function splitSqlSync(script: string): SqlStatement[] {
  if (script.trim() === "") return []; // the parser refuses an empty string; nothing to run
  let parsed: ReturnType<typeof parseSync>;
  try {
    parsed = parseSync(script);
  } catch (e) {
    const position = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    const line = position === undefined ? null : lineAtByte(script, position);
    throw new Error(`SQL does not parse${line ? ` (line ${line})` : ""}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // Locations are byte offsets into the UTF-8 text (the comments are Vietnamese): slice the bytes.
  const bytes = Buffer.from(script, "utf8");
  const out: SqlStatement[] = [];
  for (const raw of parsed.stmts ?? []) {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const text = stripEdges(bytes.subarray(start, end).toString("utf8"));
    if (text && raw.stmt) out.push({ text, tree: raw.stmt as Record<string, unknown> });
  }
  return out;
}

/** `splitSqlSync` after loading the parser: the statements' texts only. */
export async function splitSql(script: string): Promise<string[]> {
  await loadSqlParser();
  return splitSqlSync(script).map((s) => s.text);
}

/** Drops the whitespace and the comment lines before a statement (the parser may start it at a comment) and the space after it. */
function stripEdges(text: string): string {
  let t = text.trim();
  for (;;) {
    if (t.startsWith("--")) {
      const nl = t.indexOf("\n");
      t = nl < 0 ? "" : t.slice(nl + 1).trimStart();
    } else return t;
  }
}

function lineAtByte(script: string, position: number): number {
  return Buffer.from(script, "utf8").subarray(0, position).toString("utf8").split("\n").length;
}

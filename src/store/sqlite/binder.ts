/** A value bound to an SQL parameter. */
export type SqlValue = string | number | null;

/**
 * Collects bound parameters and fresh table aliases while a query is compiled. Placeholders are named by
 * position in the compile walk, so the SQL text depends only on the query's shape (and can be cached),
 * and every user value reaches SQLite as a bound parameter, never as SQL text.
 */
export class Binder {
  readonly params: Record<string, SqlValue> = {};
  private n = 0;
  private aliases = 0;

  /** A placeholder bound to `value`. */
  bind(value: SqlValue): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `@${name}`;
  }

  /** A table alias not used anywhere else in this query. */
  alias(prefix: string): string {
    return `${prefix}${this.aliases++}`;
  }
}

/**
 * A LIMIT clause whose row count is the bound expression `placeholder`. Not `LIMIT ?`: SQLite (3.47 and later)
 * reads a bare LIMIT parameter's value while planning, which marks the statement as depending on that value,
 * so every execution re-binds it and re-prepares the whole statement (measured: one re-prepare per search,
 * about a fifth of a read worker's time at 1.25M resources). Wrapped in a CAST, the planner does not look at it.
 */
export function limitClause(placeholder: string): string {
  return `LIMIT CAST(${placeholder} AS INTEGER)`;
}

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

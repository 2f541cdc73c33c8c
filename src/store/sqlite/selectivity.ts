import type { Clause } from '../../vocabulary/plan.js';

/** Rank of a clause that cannot drive a query: it only makes sense as a check on a given candidate. */
export const NOT_DRIVING = Number.POSITIVE_INFINITY;

/**
 * A fixed estimate of how few resources a clause matches (lower is narrower), used to pick the one clause
 * of an AND that produces the candidate rows; NOT_DRIVING when the clause cannot produce them from an index
 * (`not`, `missing`). A fixed ranking instead of SQLite's planner statistics because those are missing on a
 * fresh or freshly loaded database, and without them SQLite materializes every `IN` list of an AND in full.
 */
export function driveRank(clause: Clause): number {
  switch (clause.kind) {
    case 'ids': return 0;
    case 'reference': return clause.id !== undefined || clause.url !== undefined ? 1 : 6;
    case 'token':
      if (clause.param.code === '_id') return 0;
      if (clause.code === undefined) return 6;
      // A code without a system is most often a small required value set (status, gender, intent, category),
      // so a string that is also given narrows better; with a system it is a terminology code or identifier.
      return clause.system === undefined ? 3.5 : 2;
    case 'string': return clause.mode === 'contains' ? 7 : 3;
    case 'composite': return 3;
    case 'uri': return clause.mode === 'above' ? 7 : 4;
    case 'chain': case 'has': return 5;
    case 'range': return 7;
    case 'missing': case 'not': return NOT_DRIVING;
    // An OR produces candidates only when each branch does, and is as broad as its broadest branch.
    case 'or': return clause.clauses.length === 0 ? 0 : Math.max(...clause.clauses.map(driveRank));
    // A nested AND is driven by its narrowest clause.
    case 'and': return clause.clauses.length === 0 ? NOT_DRIVING : Math.min(...clause.clauses.map(driveRank));
    default: {
      const never: never = clause;
      throw new Error(`unsupported clause ${(never as { kind: string }).kind}`);
    }
  }
}

import { matches } from '../search/index.js';
import type { Indexer } from '../search/index.js';
import type { Restriction } from '../vocabulary/access.js';
import type { IndexEntries } from '../vocabulary/index-values.js';
import type { Clause } from '../vocabulary/plan.js';

const and = (a: Clause, b: Clause | undefined): Clause => (b ? { kind: 'and', clauses: [a, b] } : a);

/**
 * The query clause with the caller's restriction ANDed into every chain and `_has` target, so a chained search
 * cannot test facts about resources the caller may not see (SMART: the compartment on every path). A chain over
 * several target types becomes one chain per type, each with that type's restriction.
 */
export function restrictTargets(c: Clause, restrict: Restriction): Clause {
  switch (c.kind) {
    case 'and':
    case 'or':
      return { kind: c.kind, clauses: c.clauses.map((x) => restrictTargets(x, restrict)) };
    case 'not':
      return { kind: 'not', clause: restrictTargets(c.clause, restrict) };
    case 'chain': {
      const inner = restrictTargets(c.where, restrict);
      const perType: Clause[] = c.targetTypes.map((t) => ({ kind: 'chain', param: c.param, targetTypes: [t], where: and(inner, restrict(t)) }));
      if (c.targetTypes.every((t) => restrict(t) === undefined)) return { ...c, where: inner };
      return perType.length === 1 ? perType[0]! : { kind: 'or', clauses: perType };
    }
    case 'has':
      return { ...c, where: and(restrictTargets(c.where, restrict), restrict(c.sourceType)) };
    case 'missing': case 'string': case 'token': case 'range': case 'reference': case 'uri': case 'composite': case 'ids':
      return c;
  }
}

/**
 * The search parameters a clause reads (their definition codes: `code:text` and composite parts `x.0` come from
 * `code` and `x`), so a check extracts only those; undefined when the clause needs another resource (chain, `_has`).
 */
export function paramsOf(c: Clause, into: Set<string> = new Set()): Set<string> | undefined {
  switch (c.kind) {
    case 'and':
    case 'or':
      for (const x of c.clauses) if (!paramsOf(x, into)) return undefined;
      return into;
    case 'not':
      return paramsOf(c.clause, into);
    case 'chain':
    case 'has':
      return undefined;
    case 'ids':
      return into;
    case 'missing': case 'string': case 'token': case 'range': case 'reference': case 'uri': case 'composite':
      into.add(c.param.code.split(/[:.]/)[0]!);
      return into;
  }
}

/** True when a clause can be judged on one resource alone (it has no chain or `_has`). */
export const judgedAlone = (clause: Clause): boolean => paramsOf(clause) !== undefined;

/**
 * Whether one resource satisfies a restriction clause, judged in memory with the search oracle (the read path's check
 * of one resource, the write path's check of the old and the new one) from its index rows, extracted for the clause's
 * parameters only when not given. Only this resource is known, so a clause that would need another resource (a
 * chain, `_has`) cannot be proven and counts as not satisfied.
 */
export function satisfies(
  clause: Clause, resource: { resourceType: string; id?: string }, indexer: Indexer, rows?: IndexEntries,
  params: Set<string> | undefined = paramsOf(clause),
): boolean {
  if (!params) return false;
  const own = rows ?? (params.size === 0 ? [] : indexer.extract(resource, params));
  // A clause with no chain or `_has` reads this resource's rows only: nothing else is ever resolved.
  return matches(clause, resource, { index: () => own, resolve: () => undefined, ofType: () => [] });
}

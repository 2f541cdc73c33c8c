import { auditEventViewOf } from '../fhir/audit-redaction.js';
import type { AccessPolicy, AuthContext, Decision, InteractionContext, ScopeGrant } from '../vocabulary/access.js';
import type { Permission } from '../vocabulary/interaction.js';
import type { Clause } from '../vocabulary/plan.js';

/** What the policy needs of the search module: compartment clauses and parsed granular-scope queries. */
export interface PolicySearch {
  /** The clause restricting `type` to Patient `patient`'s compartment; undefined when the type is never in one. */
  compartment(type: string, patient: string): Clause | undefined;
  /** The clause a granular scope's query stands for on `type` (throws when it cannot be read). */
  criteria(type: string, query: readonly [string, string][]): Clause | undefined;
}

/**
 * What a `user/` grant may see of a type, by the user (`fhirUser`): the pluggable user policy. The default lets a
 * user grant reach whatever its scope names (SMART: "the scope alone"); a deployment can narrow it, e.g. to the
 * patients of a practitioner's care team. Undefined means no further restriction.
 */
export type UserPolicy = (ctx: AuthContext, type: string) => Clause | undefined;

/** A clause no resource satisfies: what a type without any grant looks like. */
export const NOTHING: Clause = Object.freeze({ kind: 'ids', ids: [] }) as Clause;

/** The types the patient's view of AuditEvents changes. */
const AUDIT_EVENTS: ReadonlySet<string> = new Set(['AuditEvent']);

const READ_LETTERS: readonly Permission[] = ['r', 's'];
const WRITE_LETTERS: ReadonlySet<Permission> = new Set(['c', 'u', 'd']);

const covers = (g: ScopeGrant, type: string, letter: Permission): boolean =>
  (g.resourceType === '*' || g.resourceType === type) && g.permissions.includes(letter);

/**
 * `reach` remembered per type by the (cached, per-token) decision it belongs to: a request then asks a Map keyed by
 * the type alone instead of building the policy-wide key again.
 */
function perType(reach: (type: string) => Clause | undefined): (type: string) => Clause | undefined {
  const known = new Map<string, Clause | null>();
  // The type asked last answers without the Map: most requests ask for their own type only, and a token's Map is
  // cold memory when many tokens are live (a lookup there cost ~0.5 µs in the server).
  let lastType: string | undefined;
  let lastClause: Clause | undefined;
  return (type) => {
    if (type === lastType) return lastClause;
    const hit = known.get(type);
    let clause: Clause | undefined;
    if (hit !== undefined) clause = hit ?? undefined;
    else known.set(type, (clause = reach(type)) ?? null);
    lastType = type;
    lastClause = clause;
    return clause;
  };
}

/** One principal's decisions: the last question asked, answered without building a key, and every other by key. */
interface Decided {
  lastType: string;
  lastLetters: string;
  lastOperation: string;
  last: Decision;
  byKey: Map<string, Decision>;
}

const or = (clauses: Clause[]): Clause => (clauses.length === 1 ? clauses[0]! : { kind: 'or', clauses });
const and = (a: Clause | undefined, b: Clause | undefined): Clause | undefined => (a && b ? { kind: 'and', clauses: [a, b] } : (a ?? b));

/**
 * SMART App Launch 2.x authorization (scopes-and-launch-context): each interaction needs the permission letters of
 * its table row on its type, from the token's `patient/`, `user/` or `system/` grants (v1 scopes read as v2 letters),
 * and what it may see or write is limited, per type, to the OR of its grants' reach: a `patient/` grant reaches the
 * token patient's compartment (types in no compartment, such as Medication, are reachable as SMART intends), a
 * granular scope's query narrows its grant, a `user/` grant is limited by the user policy. Deny is the default: a
 * type with no grant is reachable nowhere, an ungranted interaction is 403.
 */
export class SmartPolicy implements AccessPolicy {
  /**
   * Decisions per verified token (its AuthContext lives as long as the token is cached) and per question: a token's
   * requests ask the same few questions, and each answer is a frozen object, so a repeated one builds nothing.
   */
  private readonly decisions = new WeakMap<AuthContext, Decided>();

  constructor(private readonly search: PolicySearch, private readonly userPolicy: UserPolicy = () => undefined) {}

  async decide(ctx: InteractionContext): Promise<Decision> {
    const principal = ctx.principal;
    if (ctx.public) return { allow: true };
    if (principal.anonymous) return { allow: false, reason: 'Authentication is required' };
    if (principal.grants.length === 0) return { allow: false, reason: 'The access token grants no access to FHIR resources' };
    const type = ctx.resourceType ?? '';
    const letters = ctx.permissions.length === 1 ? ctx.permissions[0]! : ctx.permissions.join('');
    const operation = ctx.admin === true ? (ctx.operation ?? '') : '';
    const decided = this.decisions.get(principal);
    if (decided && decided.lastLetters === letters && decided.lastType === type && decided.lastOperation === operation) return decided.last;
    const key = `${type}|${letters}|${operation}`;
    let decision = decided?.byKey.get(key);
    if (!decision) decision = Object.freeze(this.judge(ctx));
    if (decided) {
      decided.byKey.set(key, decision);
      decided.lastType = type;
      decided.lastLetters = letters;
      decided.lastOperation = operation;
      decided.last = decision;
    } else {
      this.decisions.set(principal, { lastType: type, lastLetters: letters, lastOperation: operation, last: decision, byKey: new Map([[key, decision]]) });
    }
    return decision;
  }

  /** The decision for one question of one principal (what `decide` caches). */
  private judge(ctx: InteractionContext): Decision {
    const principal = ctx.principal;
    const type = ctx.resourceType;
    const missing = ctx.permissions.filter((letter) => !this.grantsFor(principal, type ?? '*', letter, ctx.admin === true).length);
    if (missing.length > 0) {
      const what = type ?? 'every resource type';
      const why = ctx.admin ? `${ctx.operation ? `$${ctx.operation}` : 'This operation'} needs a system/ scope with ${missing.join('')} on ${what}`
        : `The access token's scopes do not grant ${missing.join('')} on ${what}`;
      return { allow: false, reason: why };
    }
    const write = ctx.permissions.find((l) => WRITE_LETTERS.has(l));
    const decision: Decision = { allow: true, restrict: perType((t) => this.reachOf(principal, t, READ_LETTERS)) };
    if (write !== undefined) decision.writable = perType((t) => this.reachOf(principal, t, [write]));
    // A patient's own AuditEvents may also name other patients; unless a user/ or system/ grant reads them whole,
    // the patient sees only itself in them.
    if (principal.patient !== undefined && !principal.grants.some((g) => g.context !== 'patient' && READ_LETTERS.some((l) => covers(g, 'AuditEvent', l)))) {
      decision.redact = { types: AUDIT_EVENTS, view: auditEventViewOf(principal.patient) };
    }
    return decision;
  }

  /** The grants covering `letter` on `type` that can apply (admin interactions take system grants only). */
  private grantsFor(principal: AuthContext, type: string, letter: Permission, admin: boolean): ScopeGrant[] {
    return principal.grants.filter((g) => covers(g, type, letter) && (!admin || g.context === 'system'));
  }

  /**
   * What the grants with any of `letters` reach of `type`: a clause, undefined for everything, NOTHING for nothing.
   * Worked out once per type by the cached decision that asks (perType).
   */
  private reachOf(principal: AuthContext, type: string, letters: readonly Permission[]): Clause | undefined {
    const grants = principal.grants.filter((g) => letters.some((l) => covers(g, type, l)));
    let result: Clause | undefined = NOTHING;
    if (grants.length > 0) {
      const clauses: Clause[] = [];
      let everything = false;
      for (const g of grants) {
        const c = this.grantReach(principal, g, type);
        if (c === undefined) everything = true;
        else clauses.push(c);
      }
      result = everything ? undefined : or(clauses);
    }
    return result;
  }

  private grantReach(principal: AuthContext, g: ScopeGrant, type: string): Clause | undefined {
    let base: Clause | undefined;
    switch (g.context) {
      case 'patient':
        base = this.search.compartment(type, principal.patient!);
        break;
      case 'user':
        base = this.userPolicy(principal, type);
        break;
      case 'system':
        base = undefined;
        break;
    }
    if (!g.query) return base;
    try {
      return and(base, this.search.criteria(type, g.query));
    } catch {
      // A granular query that cannot be read on this type grants nothing rather than everything.
      return NOTHING;
    }
  }
}

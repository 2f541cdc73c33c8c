import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Issue } from '../fhir/outcome.js';
import { deepEquals, matchesPattern } from './json-match.js';
import { instancesAt, type Located } from './instance-walk.js';

/** The parts of an R4 ElementDefinition that profile checking reads (FHIR R4 elementdefinition.html). */
interface ElementDefinition {
  id?: string;
  path: string;
  sliceName?: string;
  min?: number;
  max?: string;
  base?: { min?: number; max?: string };
  constraint?: { key: string; severity: string; human: string; expression?: string; source?: string }[];
  [fixedOrPattern: string]: unknown;
}

/** The parts of an R4 StructureDefinition that profile checking reads (FHIR R4 structuredefinition.html). */
export interface ProfileDefinition {
  resourceType: string;
  id?: string;
  url?: string;
  type?: string;
  snapshot?: { element?: ElementDefinition[] };
}

type CompiledExpression = (resource: unknown) => unknown[];

interface Invariant {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  run: CompiledExpression;
}

interface ElementRule {
  /** Element path without the root type (`['name']` for `Patient.name`); empty for the root. */
  segments: string[];
  path: string;
  /** Set only when the profile tightens the base cardinality, which the JSON schema already enforces. */
  min?: number;
  max?: number;
  fixed?: unknown;
  pattern?: unknown;
  invariants: Invariant[];
}

/** A constraint profile ready to check instances: rules precomputed, FHIRPath compiled once. */
export interface LoadedProfile {
  readonly url: string;
  readonly type: string;
  readonly rules: readonly ElementRule[];
}

const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

function typedKey(element: ElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  for (const [key, value] of Object.entries(element)) {
    if (key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length))) return value;
  }
  return undefined;
}

function compileInvariant(base: string, key: string, expression: string): CompiledExpression {
  try {
    return fhirpath.compile({ base, expression }, r4Model) as CompiledExpression;
  } catch (err) {
    throw new Error(`Constraint ${key} on ${base}: invalid FHIRPath (${(err as Error).message})`);
  }
}

function ruleOf(element: ElementDefinition, profileUrl: string): ElementRule | undefined {
  const [, ...segments] = element.path.split('.');
  const rule: ElementRule = { segments, path: element.path, invariants: [] };
  const base = element.base;
  if (element.min !== undefined && element.min !== (base?.min ?? 0)) rule.min = element.min;
  if (element.max !== undefined && element.max !== '*' && element.max !== base?.max) rule.max = Number(element.max);
  const fixed = typedKey(element, 'fixed');
  if (fixed !== undefined) rule.fixed = fixed;
  const pattern = typedKey(element, 'pattern');
  if (pattern !== undefined) rule.pattern = pattern;
  for (const c of element.constraint ?? []) {
    // Base-specification invariants (ele-1, dom-2...) hold for every resource; only the profile's own are checked here.
    if (!c.expression || (c.source ?? profileUrl).startsWith(CORE_PREFIX)) continue;
    rule.invariants.push({
      key: c.key,
      severity: c.severity === 'warning' ? 'warning' : 'error',
      human: c.human,
      run: compileInvariant(element.path, c.key, c.expression),
    });
  }
  const useful = rule.min !== undefined || rule.max !== undefined || fixed !== undefined || pattern !== undefined || rule.invariants.length > 0;
  return useful ? rule : undefined;
}

/** Prepares a StructureDefinition with a snapshot for checking; throws on a malformed definition (a start-up error). */
export function loadProfile(sd: ProfileDefinition): LoadedProfile {
  if (sd.resourceType !== 'StructureDefinition' || !sd.url || !sd.type || !sd.snapshot?.element?.length) {
    throw new Error(`Profile ${sd.url ?? sd.id ?? '(no url)'} needs resourceType, url, type and a snapshot`);
  }
  const rules: ElementRule[] = [];
  for (const element of sd.snapshot.element) {
    // Slices and type-restricted choice elements need a discriminator engine; out of scope for Vesta's profiles.
    if (element.sliceName || element.id?.includes(':') || element.path.endsWith('[x]')) continue;
    const rule = ruleOf(element, sd.url);
    if (rule) rules.push(rule);
  }
  return { url: sd.url, type: sd.type, rules };
}

/** Loads every `*.json` StructureDefinition in `dir` (sorted by file name); a missing folder yields no profiles. */
export function loadProfilesDir(dir: string): LoadedProfile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ProfileDefinition));
}

function countChildren(parent: Located, name: string): number {
  const value = (parent.value as Record<string, unknown>)[name];
  if (value === undefined || value === null) return 0;
  return Array.isArray(value) ? value.length : 1;
}

function checkRule(resource: Record<string, unknown>, profile: LoadedProfile, rule: ElementRule, out: Issue[]): void {
  const root = profile.type;
  const error = (code: Issue['code'], diagnostics: string, at: string, severity: Issue['severity'] = 'error'): void => {
    out.push({ severity, code, diagnostics, expression: [at] });
  };
  if (rule.min !== undefined || rule.max !== undefined) {
    const parents = instancesAt(resource, root, rule.segments.slice(0, -1));
    const name = rule.segments[rule.segments.length - 1] as string;
    for (const parent of parents) {
      const n = countChildren(parent, name);
      const at = `${parent.expression}.${name}`;
      if (rule.min !== undefined && n < rule.min) {
        error('required', `${at} has ${n} value(s) but profile ${profile.url} requires at least ${rule.min}`, at);
      }
      if (rule.max !== undefined && n > rule.max) {
        error('structure', `${at} has ${n} value(s) but profile ${profile.url} allows at most ${rule.max}`, at);
      }
    }
  }
  if (rule.fixed === undefined && rule.pattern === undefined && rule.invariants.length === 0) return;
  for (const item of instancesAt(resource, root, rule.segments)) {
    if (rule.fixed !== undefined && !deepEquals(item.value, rule.fixed)) {
      error('value', `${item.expression} must equal the value fixed by profile ${profile.url}`, item.expression);
    }
    if (rule.pattern !== undefined && !matchesPattern(item.value, rule.pattern)) {
      error('value', `${item.expression} does not match the pattern of profile ${profile.url}`, item.expression);
    }
    for (const inv of rule.invariants) {
      let ok: boolean;
      try {
        const result = inv.run(item.value);
        ok = result.length === 1 && result[0] === true;
      } catch {
        ok = false;
      }
      if (!ok) error('invariant', `Constraint ${inv.key} failed: ${inv.human}`, item.expression, inv.severity);
    }
  }
}

/** Checks `resource` against one profile: tightened cardinality, fixed[x], pattern[x] and the profile's invariants (FHIR R4 profiling.html). */
export function checkProfile(resource: Record<string, unknown>, profile: LoadedProfile): Issue[] {
  if (resource.resourceType !== profile.type) {
    return [{
      severity: 'error',
      code: 'processing',
      diagnostics: `Profile ${profile.url} applies to ${profile.type}, not ${String(resource.resourceType)}`,
      expression: [`${String(resource.resourceType)}.meta.profile`],
    }];
  }
  const out: Issue[] = [];
  for (const rule of profile.rules) checkRule(resource, profile, rule, out);
  return out;
}

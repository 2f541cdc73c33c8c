import type { SearchParameter } from 'fhir/r4.js';
import type { Issue } from '../fhir/outcome.js';
import type { SearchRegistry } from '../search/parameters.js';
import type { ResourceStore } from '../store/port.js';
import { compileFhirPath } from './fhirpath-check.js';

const PARAM_TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri']);

/**
 * Makes SearchParameter resources stored at run time searchable (FHIR R4 searchparameter.html): an
 * `active` one with a code, base types, a type and a FHIRPath expression is added to the registry when
 * written and at start-up. New and updated resources are indexed for it at once; existing ones after `$reindex`.
 */
export class SearchParameterActivation {
  constructor(private readonly registry: SearchRegistry) {}

  /** Problems that would make the SearchParameter unusable; checked before it is stored. */
  check(resource: Record<string, unknown>): Issue[] {
    if (resource.resourceType !== 'SearchParameter' || resource.status !== 'active') return [];
    const sp = resource as unknown as SearchParameter;
    const issues: Issue[] = [];
    const problem = (diagnostics: string, path: string): void => {
      issues.push({ severity: 'error', code: 'invalid', diagnostics, expression: [`SearchParameter.${path}`] });
    };
    if (!/^[A-Za-z][A-Za-z0-9_\-]{0,63}$/.test(sp.code ?? '') || sp.code.startsWith('_')) {
      problem('An active SearchParameter needs a code of letters, digits, "-" or "_" (not starting with "_")', 'code');
    }
    for (const base of sp.base ?? []) {
      if (!this.registry.isResourceType(base)) problem(`Unknown base resource type ${base}`, 'base');
    }
    if (!PARAM_TYPES.has(sp.type)) problem(`Search parameter type ${sp.type} is not supported for custom parameters`, 'type');
    if (sp.type === 'composite') problem('Custom composite search parameters are not supported', 'type');
    if (!sp.expression) problem('An active SearchParameter needs a FHIRPath expression', 'expression');
    else {
      const error = compileFhirPath(sp.expression);
      if (error) problem(`The expression is not valid FHIRPath: ${error}`, 'expression');
    }
    return issues;
  }

  /** Registers the resource if it is an active, usable SearchParameter. */
  activate(resource: Record<string, unknown>): boolean {
    if (resource.resourceType !== 'SearchParameter' || resource.status !== 'active') return false;
    if (this.check(resource).length > 0) return false;
    this.registry.add(resource as unknown as SearchParameter);
    return true;
  }

  /** Registers every active SearchParameter already stored; returns how many. */
  async loadStored(store: ResourceStore): Promise<number> {
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await store.search({ types: ['SearchParameter'], sort: [], count: 500, cursor, total: 'none' });
      for (const v of page.items) if (this.activate(JSON.parse(v.json) as Record<string, unknown>)) n++;
      cursor = page.next;
    } while (cursor);
    return n;
  }
}

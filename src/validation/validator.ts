import { fileURLToPath } from 'node:url';
import type { Issue } from '../fhir/outcome.js';
import { createSchemaValidator, resourceTypeProblem } from './json-schema.js';
import { checkProfile, loadProfilesDir, type LoadedProfile } from './profiles.js';
import { R4_RESOURCE_TYPES } from './resource-types.js';

/** Validates FHIR R4 resources and reports problems as data (FHIR R4 validation.html). */
export interface Validator {
  /** Every issue (errors and warnings) of `resource`; an empty array means it is valid. Never throws on JSON input. */
  validate(resource: unknown): Issue[];
  /** The sorted R4 resource types this validator accepts. */
  readonly resourceTypes: readonly string[];
  /** Canonical urls of the loaded profiles, sorted (CapabilityStatement.rest.resource.supportedProfile). */
  readonly profileUrls: readonly string[];
  /** The loaded profiles' urls grouped by the resource type each constrains. */
  readonly profilesByType: ReadonlyMap<string, readonly string[]>;
}

/** How many issues a validation reports; one more issue says how many were left out (FHIR R4 operationoutcome.html). */
export const MAX_ISSUES = 100;

/** The first {@link MAX_ISSUES} issues, plus one saying how many more there were when some were left out. */
export function boundIssues(issues: Issue[]): Issue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const more = issues.length - MAX_ISSUES;
  const stopped = issues[issues.length - 1]?.code === 'too-costly';
  const kept = issues.slice(0, MAX_ISSUES);
  kept.push({
    severity: 'error',
    code: 'too-costly',
    diagnostics: stopped
      ? `Only the first ${MAX_ISSUES} issues are reported; validation stopped early and more than ${more} further problems were found`
      : `Only the first ${MAX_ISSUES} issues are reported; ${more} more were found`,
  });
  return kept;
}

/** Options of {@link createValidator}. */
export interface ValidatorOptions {
  /** Folder of StructureDefinition JSON files; defaults to the repository's `profiles/`. */
  profilesDir?: string;
  /** Resource types to compile at start-up instead of on first use (each costs tens of milliseconds). */
  precompile?: readonly string[];
}

/** The repository's `profiles/` folder, found from this module whether run from `src/` (tsx) or `dist/src/`. */
function defaultProfilesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes('/dist/') ? '../../../profiles' : '../../profiles';
  return fileURLToPath(new URL(up, import.meta.url));
}

/**
 * Builds a validator: the pruned R4 JSON schema (compiled lazily per type, then cached) plus the
 * constraint profiles in `profilesDir`, applied when a resource names them in `meta.profile`.
 * Throws at start-up when a profile file is malformed, never later.
 */
export function createValidator(opts: ValidatorOptions = {}): Validator {
  const schema = createSchemaValidator();
  const profiles = new Map<string, LoadedProfile>();
  for (const p of loadProfilesDir(opts.profilesDir ?? defaultProfilesDir())) {
    if (profiles.has(p.url)) throw new Error(`Two profiles share the url ${p.url}`);
    profiles.set(p.url, p);
  }
  const profileUrls = Object.freeze([...profiles.keys()].sort());
  const profilesByType = new Map<string, string[]>();
  for (const url of profileUrls) {
    const type = profiles.get(url)!.type;
    profilesByType.set(type, [...(profilesByType.get(type) ?? []), url]);
  }
  for (const type of opts.precompile ?? []) schema.validate({ resourceType: type });

  return {
    resourceTypes: R4_RESOURCE_TYPES,
    profileUrls,
    profilesByType,
    validate(resource: unknown): Issue[] {
      return boundIssues(validateAll(resource));
    },
  };

  function validateAll(resource: unknown): Issue[] {
    const issues = schema.validate(resource);
    if (resourceTypeProblem(resource) !== undefined) return issues;
    const declared = (resource as { meta?: { profile?: unknown } }).meta?.profile;
    if (!Array.isArray(declared)) return issues;
    const type = (resource as { resourceType: string }).resourceType;
    declared.forEach((url: unknown, i) => {
      if (typeof url !== 'string') return; // the schema has already reported it
      const profile = profiles.get(url.split('|')[0] as string);
      if (profile) {
        for (const issue of checkProfile(resource as Record<string, unknown>, profile)) issues.push(issue);
      } else {
        issues.push({
          severity: 'warning',
          code: 'not-supported',
          diagnostics: `Profile ${url.slice(0, 256)} is not known to this server; the resource was not checked against it`,
          expression: [`${type}.meta.profile[${i}]`],
        });
      }
    });
    return issues;
  }
}

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
      const issues = schema.validate(resource);
      if (resourceTypeProblem(resource) !== undefined) return issues;
      const declared = (resource as { meta?: { profile?: unknown } }).meta?.profile;
      if (!Array.isArray(declared)) return issues;
      const type = (resource as { resourceType: string }).resourceType;
      declared.forEach((url: unknown, i) => {
        if (typeof url !== 'string') return; // the schema has already reported it
        const profile = profiles.get(url.split('|')[0] as string);
        if (profile) {
          issues.push(...checkProfile(resource as Record<string, unknown>, profile));
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
    },
  };
}

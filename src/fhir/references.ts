/**
 * Walking the references of a resource tree (FHIR R4 references.html): every `Reference.reference` string,
 * in nested elements, extensions, contained resources and arrays alike, can be read and replaced in place.
 */

/** Where a reference sits, as a FHIRPath-like path below the entry (`resource.subject`), built only when needed. */
export type PathOf = () => string;

/** Decides the new value of one reference string; `undefined` keeps it. */
export type ReferenceMapper = (reference: string, at: PathOf) => string | undefined;

/** True for `urn:uuid:` and `urn:oid:` references, which only mean something inside the Bundle (bundle.html#fullUrl). */
export const isPlaceholder = (ref: string): boolean => ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:');

/**
 * Calls `map` for every `reference` string in the tree (nested elements, extensions, contained resources
 * and arrays alike) and replaces the value when `map` returns one. Narrative `div`s have the mapped
 * placeholders replaced as well, as bundle.html#references asks. Mutates `node`.
 */
export function rewriteReferences(node: unknown, map: ReferenceMapper, narrative?: (div: string) => string | undefined): void {
  const path: (string | number)[] = [];
  const at: PathOf = () => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== 'object' || item === null) continue;
        path.push(i);
        walk(item);
        path.pop();
      }
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (typeof v === 'string') {
        if (key === 'reference') {
          path.push(key);
          const next = map(v, at);
          path.pop();
          if (next !== undefined) obj[key] = next;
        } else if (key === 'div' && narrative) {
          const next = narrative(v);
          if (next !== undefined) obj[key] = next;
        }
      } else if (typeof v === 'object' && v !== null) {
        path.push(key);
        walk(v);
        path.pop();
      }
    }
  };
  if (typeof node === 'object' && node !== null) walk(node);
}

/**
 * Reference handling inside a batch or transaction Bundle (FHIR R4 bundle.html#references and
 * http.html#trules): finding every `Reference.reference` in a resource tree, telling placeholders
 * (`urn:uuid:`, `urn:oid:`) and conditional references (`Patient?identifier=...`) apart, and rewriting them
 * in place to the ids the server assigned.
 */

/** Where a reference sits, as a FHIRPath-like path below the entry (`resource.subject`), built only when needed. */
export type PathOf = () => string;

/** Decides the new value of one reference string; `undefined` keeps it. */
export type ReferenceMapper = (reference: string, at: PathOf) => string | undefined;

/** True for `urn:uuid:` and `urn:oid:` references, which only mean something inside the Bundle (bundle.html#fullUrl). */
export const isPlaceholder = (ref: string): boolean => ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:');

const CONDITIONAL = /^([A-Z][A-Za-z]{1,63})\?(.+)$/;

/** A conditional reference (http.html#trules): the type to search and its criteria, or undefined. */
export function conditionalReference(ref: string): { type: string; query: [string, string][] } | undefined {
  const m = CONDITIONAL.exec(ref);
  if (!m) return undefined;
  return { type: m[1], query: [...new URLSearchParams(m[2])] };
}

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

/**
 * The fullUrl → local reference table of one Bundle. Resolves exact matches and, for entries whose fullUrl
 * is an absolute RESTful URL, relative references against that entry's base (bundle.html#references).
 */
export class ReferenceTable {
  private readonly targets = new Map<string, string>();
  private placeholderPrefixes = false;

  /** Records that `fullUrl` now means `Type/id` on this server. */
  set(fullUrl: string, local: string): void {
    this.targets.set(fullUrl, local);
    if (isPlaceholder(fullUrl)) this.placeholderPrefixes = true;
  }

  /** True when the Bundle declared `fullUrl` for an entry whose id is already known. */
  has(fullUrl: string): boolean {
    return this.targets.has(fullUrl);
  }

  /** The local reference `ref` stands for, given the fullUrl of the entry it appears in; undefined when none. */
  resolve(ref: string, entryFullUrl: string | undefined): string | undefined {
    const direct = this.targets.get(ref);
    if (direct !== undefined) return direct;
    if (entryFullUrl === undefined || ref.includes(':') || ref.startsWith('#')) return undefined;
    const base = restBase(entryFullUrl);
    return base === undefined ? undefined : this.targets.get(`${base}/${ref}`);
  }

  /** Replaces every known placeholder inside narrative XHTML (`<a href="urn:uuid:...">`); undefined when nothing changed. */
  narrative(div: string): string | undefined {
    if (!this.placeholderPrefixes || !div.includes('urn:')) return undefined;
    let out = div;
    for (const [from, to] of this.targets) if (isPlaceholder(from) && out.includes(from)) out = out.split(from).join(to);
    return out === div ? undefined : out;
  }
}

const REST_URL = /^(https?:\/\/.+)\/[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The service base of an absolute RESTful fullUrl (`http://x/fhir/Patient/1` → `http://x/fhir`), else undefined. */
export function restBase(fullUrl: string): string | undefined {
  return REST_URL.exec(fullUrl)?.[1];
}

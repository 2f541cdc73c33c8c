/**
 * The fullUrl table of a batch or transaction Bundle (FHIR R4 bundle.html#references, http.html#trules): what
 * each entry's fullUrl means on this server once its id is known, so references can be rewritten to it.
 */
import { isPlaceholder } from '../fhir/references.js';

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

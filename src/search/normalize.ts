/**
 * The one set of normalization functions used both when indexing a resource and when parsing a query
 * (FHIR R4 search.html), so a stored value and a searched value can only be compared after the same folding.
 */
export { dateRange, periodRange, numberRange, jsonNumberRange, type Range } from './normalize-range.js';

const COMBINING_MARKS = /\p{M}+/gu;
const WHITESPACE = /\s+/g;

/**
 * Folds a string for `string` search (search.html#string): Unicode NFD with combining marks removed,
 * lower case, runs of whitespace collapsed to one space, trimmed. `Änn  Ö` → `ann o`.
 */
export function normalizeString(s: string): string {
  return s.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().replace(WHITESPACE, ' ').trim();
}

/**
 * Splits `s` at every `sep` not escaped by a backslash (search.html#escaping); escapes are kept in the
 * pieces so a later split (`,` then `|` or `$`) still sees them. Use `unescapeSearch` on the final pieces.
 */
export function splitEscaped(s: string, sep: ',' | '|' | '$'): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === sep) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Removes search escapes: `\|` `\,` `\$` `\\` become `|` `,` `$` `\` (search.html#escaping). */
export function unescapeSearch(s: string): string {
  return s.replace(/\\([|,$\\])/g, '$1');
}

/** A token query value split at its first unescaped `|` (search.html#token). */
export interface TokenQuery {
  /** undefined: any system (`code`); null: no system (`|code`); string: that system (`sys|code`, `sys|`). */
  system?: string | null;
  /** undefined: any code (`sys|`). */
  code?: string;
}

/** Parses `[system|]code` with escapes; `sys|` means system only, `|code` means no system. */
export function parseTokenQuery(raw: string): TokenQuery {
  const parts = splitEscaped(raw, '|');
  if (parts.length === 1) return { code: unescapeSearch(raw) };
  const system = unescapeSearch(parts[0]);
  const code = unescapeSearch(parts.slice(1).join('|'));
  const out: TokenQuery = { system: system === '' ? null : system };
  if (code !== '') out.code = code;
  return out;
}

/** A reference normalized for indexing and matching (search.html#reference). */
export interface NormalizedReference {
  targetType: string | null;
  targetId: string | null;
  url: string | null;
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Type/id(/_history/n) at the end of `path`, version stripped; undefined when the shape does not match. */
function typeAndId(path: string): { type: string; id: string } | undefined {
  const seg = path.split('/');
  let n = seg.length;
  if (n >= 4 && seg[n - 2] === '_history') n -= 2;
  if (n !== 2) return undefined;
  const [type, id] = [seg[0], seg[1]];
  return RESOURCE_TYPE.test(type) && ID.test(id) ? { type, id } : undefined;
}

/**
 * Normalizes a reference string: `Type/id` and `Type/id/_history/n` → (Type, id); an absolute URL on
 * `baseUrl` → (Type, id); any other absolute URL or URN → url; `#contained` and unusable text → undefined.
 */
export function normalizeReference(ref: string, baseUrl: string): NormalizedReference | undefined {
  if (ref === '' || ref.startsWith('#')) return undefined;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  if (ref.startsWith(base)) {
    const local = typeAndId(ref.slice(base.length));
    return local ? { targetType: local.type, targetId: local.id, url: null } : { targetType: null, targetId: null, url: ref };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return { targetType: null, targetId: null, url: stripCanonicalVersion(ref) };
  const local = typeAndId(ref);
  return local ? { targetType: local.type, targetId: local.id, url: null } : undefined;
}

/** A canonical `url|version` searched or stored without its version. */
export function stripCanonicalVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

/** True when `s` is a syntactically valid FHIR logical id (datatypes.html#id). */
export function isValidId(s: string): boolean {
  return ID.test(s);
}

/** True when `s` is a concrete-looking resource type name (the registry decides whether it exists). */
export function looksLikeResourceType(s: string): boolean {
  return RESOURCE_TYPE.test(s);
}

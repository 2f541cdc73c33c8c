/**
 * Search index values: what the extractor (src/search/extract.ts) produces from a resource at write time
 * and what a store persists beside it. Every value is already normalized, so stores only compare.
 *
 * Conventions shared by the extractor, the parser and every store compiler:
 * - `param` is the SearchParameter code (`family`, `subject`, `_lastUpdated`, `_tag`...).
 * - Synthetic params for modifiers are named `<code>:<modifier>`: `code:text` (string rows of the
 *   normalized display/text), `identifier:of-type` (token rows, system = type coding system,
 *   code = `<type code>|<identifier value>`), `subject:identifier` (token rows of Reference.identifier).
 *   The parser rewrites `code:text=x` into a string clause on param `code:text`, and so on, so stores
 *   never need to know about these modifiers.
 * - Composite parameters: the extractor emits each component's values under param `<code>.<i>` (i = 0-based
 *   component index) with the same `group` number for the components of one composite match;
 *   `group` is unique within one resource.
 * - Dates and instants are epoch milliseconds; a value's range is [low, high] inclusive, set by its
 *   precision (`2020` → [2020-01-01T00:00:00.000Z, 2020-12-31T23:59:59.999Z]; dates without a timezone
 *   are read as UTC). Open ends use ±OPEN_END.
 * - Numbers and quantities: [low, high] is the implicit precision range of the stored value
 *   (`100` → [99.5, 100.5]), `value` the exact number.
 */
export type IndexValue =
  | { kind: 'string'; param: string; group?: number; value: string; exact: string }
  | { kind: 'token'; param: string; group?: number; system: string | null; code: string | null }
  | { kind: 'date'; param: string; group?: number; low: number; high: number }
  | { kind: 'number'; param: string; group?: number; low: number; high: number; value: number }
  | {
      kind: 'quantity'; param: string; group?: number;
      system: string | null; code: string | null; unit: string | null;
      low: number; high: number; value: number;
    }
  | { kind: 'reference'; param: string; group?: number; targetType: string | null; targetId: string | null; url: string | null }
  | { kind: 'uri'; param: string; group?: number; value: string };

/** Stand-in for an open end of a range (±8.64e15 ms is the limit of a JS Date). */
export const OPEN_END = 8.64e15;

/** All index values of one resource version. */
export type IndexEntries = readonly IndexValue[];

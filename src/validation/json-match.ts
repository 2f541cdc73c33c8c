/** True when two JSON values are structurally identical (FHIR R4 elementdefinition-definitions.html#ElementDefinition.fixed_x_). */
export function deepEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEquals(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * True when `value` contains everything in `pattern`: objects match property by property, and each item of a
 * pattern array must match some item of the value array (FHIR R4 elementdefinition-definitions.html#ElementDefinition.pattern_x_).
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null) return value === pattern;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return false;
    return pattern.every((p) => value.some((v) => matchesPattern(v, p)));
  }
  if (Array.isArray(value)) return value.some((v) => matchesPattern(v, pattern));
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([k, p]) => Object.hasOwn(record, k) && matchesPattern(record[k], p));
}

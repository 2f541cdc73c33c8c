/** One value found at an element path, with its FHIRPath-style location (`Patient.name[1]`). */
export interface Located {
  value: unknown;
  expression: string;
}

/**
 * All values at `segments` below `resource` (a list element counts once per item), each with its location,
 * so a profile can check every `Patient.contact.name` separately (FHIR R4 elementdefinition.html#path).
 */
export function instancesAt(resource: Record<string, unknown>, root: string, segments: readonly string[]): Located[] {
  let current: Located[] = [{ value: resource, expression: root }];
  for (const name of segments) {
    const next: Located[] = [];
    for (const item of current) {
      if (typeof item.value !== 'object' || item.value === null || Array.isArray(item.value)) continue;
      const child = (item.value as Record<string, unknown>)[name];
      if (child === undefined || child === null) continue;
      if (Array.isArray(child)) {
        child.forEach((value: unknown, i) => next.push({ value, expression: `${item.expression}.${name}[${i}]` }));
      } else {
        next.push({ value: child, expression: `${item.expression}.${name}` });
      }
    }
    current = next;
  }
  return current;
}

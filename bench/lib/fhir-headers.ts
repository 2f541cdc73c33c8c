/** Headers of a FHIR JSON request body. */
export const FHIR_JSON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/fhir+json',
  Accept: 'application/fhir+json',
};

/** The version number in a weak ETag such as `W/"3"`, or undefined when there is none. */
export function versionFromEtag(etag: string | string[] | null | undefined): number | undefined {
  const value = Array.isArray(etag) ? etag[0] : etag;
  if (!value) return undefined;
  const m = /^\s*(?:W\/)?"([^"]+)"\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isInteger(n) ? n : undefined;
}

/** A header from autocannon's raw header map, whose key case is whatever the server sent. */
export function headerOf(headers: Record<string, string | string[]>, name: string): string | string[] | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return headers[key];
  return undefined;
}

/** The logical id in a `Location` such as `.../Patient/{id}/_history/1`. */
export function idFromLocation(location: string | null, type: string): string | undefined {
  if (!location) return undefined;
  const m = new RegExp(`/${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?/?$`).exec(location);
  return m?.[1];
}

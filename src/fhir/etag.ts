/** Weak ETag for a version (FHIR R4 http.html#versioning): `W/"3"`. */
export const etagOf = (versionId: string): string => `W/"${versionId}"`;

/**
 * Reads the version out of an If-Match / If-None-Match / ETag value. Accepts `W/"3"`, `"3"` and `3`
 * (clients are sloppy), returns undefined for anything else.
 */
export function versionFromEtag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?([A-Za-z0-9\-.]{1,64})"?\s*$/.exec(raw);
  return m ? m[1] : undefined;
}

/** HTTP-date for Last-Modified from an ISO instant. */
export const httpDate = (iso: string): string => new Date(iso).toUTCString();

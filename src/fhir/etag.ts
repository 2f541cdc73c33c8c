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

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Sakamoto's month offsets for the day of the week. */
const MONTH_OFFSETS = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];

/**
 * HTTP-date (RFC 9110 section 5.6.7) for Last-Modified from an ISO instant. Every read sends one: the instants Vesta
 * stores (`Date.toISOString`, `YYYY-MM-DDTHH:MM:SS.sssZ`) are rearranged as text, five times cheaper than parsing
 * and formatting a Date; any other form goes through Date.
 */
export function httpDate(iso: string): string {
  if (iso.length !== 24 || iso.charCodeAt(10) !== 84 /* T */ || iso.charCodeAt(23) !== 90 /* Z */) return new Date(iso).toUTCString();
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return new Date(iso).toUTCString();
  const y = month < 3 ? year - 1 : year;
  const weekday = (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + MONTH_OFFSETS[month - 1]! + day) % 7;
  return `${DAYS[weekday]}, ${iso.slice(8, 10)} ${MONTHS[month - 1]} ${iso.slice(0, 4)} ${iso.slice(11, 19)} GMT`;
}

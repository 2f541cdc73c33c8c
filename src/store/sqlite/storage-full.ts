import { FhirError } from '../../fhir/outcome.js';

/**
 * True when `err` says the disk (or the database's size limit) is full: SQLITE_FULL, or an I/O error caused by
 * ENOSPC (a failed write or fsync of the WAL).
 */
export function isStorageFull(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = String((err as { code?: unknown }).code ?? '');
  const message = String((err as { message?: unknown }).message ?? '');
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || (code.startsWith('SQLITE_IOERR') && /ENOSPC|no space/i.test(message))
    || /database or disk is full/i.test(message);
}

/** 507 Insufficient Storage (RFC 4918 section 11.5): the write was not made because storage is full. */
export function storageFullError(): FhirError {
  return new FhirError(507, [{
    severity: 'error', code: 'exception',
    diagnostics: "The server's storage is full: nothing was written. Retry once an operator has freed space",
  }], { 'Retry-After': '60' });
}

/** The error to hand a caller: 507 for a full disk, anything else unchanged. */
export function mapWriteError(err: unknown): unknown {
  return isStorageFull(err) ? storageFullError() : err;
}

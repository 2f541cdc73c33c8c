import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * `shared/data` beside the repository (CI clones the repo with shared/ next to it), found from the compiled
 * location (`dist/test/support`) or the sources (`test/support`); `VESTA_SHARED_DATA` overrides it.
 */
const candidates = [
  ...(process.env.VESTA_SHARED_DATA ? [path.resolve(process.env.VESTA_SHARED_DATA)] : []),
  path.resolve(here, '../../../../shared/data'),
  path.resolve(here, '../../../shared/data'),
];
export const SHARED_DATA = candidates.find((p) => fs.existsSync(p)) ?? candidates[0];

/** The directory of the Synthea transaction Bundles. */
export const SYNTHEA_DIR = path.join(SHARED_DATA, 'synthea');

/** The directory of the FHIR npm packages (US Core). */
export const PACKAGES_DIR = path.join(SHARED_DATA, 'fhir-packages');

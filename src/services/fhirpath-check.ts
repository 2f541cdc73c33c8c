import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

/** Compiles a FHIRPath expression against the R4 model; returns the error text, or undefined when valid. */
export function compileFhirPath(expression: string): string | undefined {
  try {
    fhirpath.compile(expression, r4Model);
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
  }
}

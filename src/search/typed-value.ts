/** The shape of FHIRPath results for index extraction, shared by the fhirpath.js evaluator and the fast walker. */

/** One FHIRPath result with its FHIR datatype name (`HumanName`, `dateTime`, `boolean`...). */
export interface TypedValue {
  type: string;
  value: unknown;
  /** Element path in the model (`Observation.component`), needed to evaluate composite components. */
  path: string;
}

/** A compiled expression: resource (or element) in, typed results out. */
export type Evaluator = (input: unknown) => TypedValue[];

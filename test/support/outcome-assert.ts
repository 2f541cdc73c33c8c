import assert from 'node:assert/strict';
import type { FhirResponse } from './test-app.js';

/** What an error response must carry: status plus the first issue's severity, code, a diagnostics substring, expression. */
export interface ExpectedOutcome {
  status: number;
  code: string;
  severity?: string;
  diagnostics?: string | RegExp;
  expression?: string;
}

/** Asserts the status, the FHIR JSON content type and the OperationOutcome of an error response. */
export function assertOutcome(res: FhirResponse, want: ExpectedOutcome): void {
  assert.equal(res.status, want.status, `status (body: ${res.text.slice(0, 400)})`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(res.body?.resourceType, 'OperationOutcome', res.text.slice(0, 400));
  const issue = res.body.issue?.[0];
  assert.ok(issue, 'OperationOutcome has an issue');
  assert.equal(issue.severity, want.severity ?? 'error');
  assert.equal(issue.code, want.code, `issue code (diagnostics: ${issue.diagnostics})`);
  if (want.diagnostics !== undefined) {
    if (typeof want.diagnostics === 'string') assert.ok(String(issue.diagnostics).includes(want.diagnostics), `diagnostics "${issue.diagnostics}" includes "${want.diagnostics}"`);
    else assert.match(String(issue.diagnostics), want.diagnostics);
  }
  if (want.expression !== undefined) {
    const all = (res.body.issue as { expression?: string[] }[]).flatMap((i) => i.expression ?? []);
    assert.ok(all.includes(want.expression), `an issue has expression ${want.expression}; got ${JSON.stringify(all)}`);
  }
}

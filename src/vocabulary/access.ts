/**
 * Who is calling and what they may do: the authentication context, the access decision and the audit event,
 * shared by the HTTP layer (which authenticates), the interaction pipeline (which asks and records), the
 * services (which apply the restriction) and the auth and audit modules (which implement the ports).
 */
import type { AuditAction, Interaction, Permission } from './interaction.js';
import type { Clause } from './plan.js';

/** A SMART scope turned into a grant (SMART App Launch 2.x scopes-and-launch-context). */
export interface ScopeGrant {
  context: 'patient' | 'user' | 'system';
  resourceType: string | '*';
  /** SMART v2 permission letters (`c r u d s`, in that order); v1 `read` is `rs`, `write` is `cud`. */
  permissions: string;
  /** A granular scope's search parameters (`?category=...|laboratory`): they restrict what the grant covers. */
  query?: readonly [string, string][];
}

/** Who is calling, parsed once per request from the access token. */
export interface AuthContext {
  /** True only when authorization is off (development) or before authentication ran. */
  anonymous: boolean;
  subject?: string;
  clientId?: string;
  /** The user as a FHIR reference (`Practitioner/123`, `Patient/9`). */
  fhirUser?: string;
  /** The patient in context: `patient/` grants are limited to that patient's compartment. */
  patient?: string;
  /** The encounter in context (launch context; not a restriction). */
  encounter?: string;
  grants: readonly ScopeGrant[];
  /** The token's `jti`, for revocation and the audit record (never the token itself). */
  tokenId?: string;
  /** The issuer the token came from. */
  issuer?: string;
}

/** The principal used before authentication exists. */
export const ANONYMOUS: AuthContext = Object.freeze({ anonymous: true, grants: Object.freeze([]) });

/** Where a request came from, for the audit record (never for the log). */
export interface ClientInfo {
  /** The peer's network address as the socket saw it. */
  address?: string;
  userAgent?: string;
}

/**
 * A per-type access restriction (the patient compartment, granular scope queries): a clause ANDed into
 * every read and search of that type. Types it returns undefined for are not restricted.
 */
export type Restriction = (resourceType: string) => Clause | undefined;

/** What the access-decision hook sees about one interaction (one per Bundle entry too). */
export interface InteractionContext {
  requestId: string;
  principal: AuthContext;
  interaction: Interaction;
  /**
   * The SMART permission letters the interaction needs on `resourceType`, from the interaction table row
   * (conditional forms add `s`; operations declare their own). Empty when it touches no resource data itself.
   */
  permissions: readonly Permission[];
  /** True for administrative operations (`$reindex`): they need a system-level grant. */
  admin?: boolean;
  /** True for what anyone may call without a token (the CapabilityStatement, the SMART configuration). */
  public?: boolean;
  /** `$name` for operations. */
  operation?: string;
  resourceType?: string;
  id?: string;
  /** The patient whose compartment the request targets, when it does (`Patient/123/Observation`). */
  compartmentPatient?: string;
  client: ClientInfo;
}

/**
 * The answer of the access-decision hook. `restrict` says what the caller may see of each type: it is ANDed into
 * every read, search, include, chain, `_has` and conditional match. `writable` says what it may write: a written
 * resource must satisfy it before and after the write. Undefined means no restriction.
 */
export interface Decision {
  allow: boolean;
  restrict?: Restriction;
  writable?: Restriction;
  /**
   * What the caller may see of a resource it may read, applied to every resource of the response (a patient reading
   * AuditEvents sees no other patient in them): `view` returns the resource unchanged when nothing is hidden, and
   * changes nothing but resources of `types`, so responses without them are passed on as they are.
   */
  redact?: { types: ReadonlySet<string>; view: (resource: Record<string, unknown>) => Record<string, unknown> };
  reason?: string;
}

/** The access-decision hook: called exactly once before every interaction. */
export interface AccessPolicy {
  decide(ctx: InteractionContext): Promise<Decision>;
}

/** A resource an interaction read or wrote, for the audit record (never for the log). */
export interface TouchedResource {
  resourceType: string;
  id: string;
  versionId?: string;
  /** When that version was written (ISO instant). */
  lastUpdated?: string;
  /** The ids of the Patients whose compartment the resource is in (computed on first use). */
  readonly patients: readonly string[];
}

/** One access to record: who did what to which resource, when, and how it ended. */
export interface AccessEvent {
  context: InteractionContext;
  action: AuditAction | null;
  /** HTTP status of the interaction (success or failure). */
  status: number;
  /** Time the interaction started (ISO instant). */
  recorded: string;
  durationMs: number;
  /** The search or operation parameters as sent (for `entity.query`); absent for other interactions. */
  query?: [string, string][];
  /** Resources returned or written (for the audit trail, never for logs). */
  touched: readonly TouchedResource[];
}

/**
 * A security event of the authorization side (IHE BALP: user authentication, and the OAuth token life cycle), recorded
 * beside the FHIR accesses. Never carries a password, a secret, a code or a token, only a token's `jti`.
 */
export interface SecurityEvent {
  kind:
    | 'login' | 'logout' | 'lockout' | 'consent' | 'client-authentication'
    | 'token-issued' | 'token-refreshed' | 'token-introspected' | 'token-revoked'
    | 'audit-pruned';
  /** Whether it succeeded (a failed login, a denied consent, a refused client are failures). */
  success: boolean;
  /** ISO instant. */
  recorded: string;
  /** Why it failed, in words safe to keep (no secrets, no submitted values). */
  reason?: string;
  /** The user: a username or a `fhirUser` reference. */
  user?: string;
  clientId?: string;
  patient?: string;
  /** The scopes asked for or granted. */
  scopes?: string;
  /** The `jti` of the token concerned. */
  tokenId?: string;
  client: ClientInfo;
  requestId?: string;
}

/** The audit hook: `record` is called exactly once after every interaction, success or failure; `recordSecurity` for each security event. */
export interface Auditor {
  record(event: AccessEvent): Promise<void>;
  recordSecurity(event: SecurityEvent): Promise<void>;
  /** False while the auditor cannot record: writes are refused before they start (absent: always healthy). */
  healthy?(): boolean;
  /** True when it records nothing (`VESTA_AUDIT=off`): the pipeline then builds no event for it. */
  readonly off?: boolean;
}

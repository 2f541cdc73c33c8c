/** RFC 6749 §4.1.2.1 and §5.2 error codes (and RFC 7009 §2.2.1). */
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type'
  | 'invalid_scope' | 'access_denied' | 'unsupported_response_type' | 'server_error' | 'temporarily_unavailable'
  | 'unsupported_token_type';

/**
 * An OAuth error: its code, a description safe to show (never a submitted value or a secret), and the HTTP status
 * RFC 6749 §5.2 names (401 for `invalid_client`, 400 otherwise).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly status: number;

  constructor(readonly code: OAuthErrorCode, readonly description: string, status?: number) {
    super(`${code}: ${description}`);
    this.status = status ?? (code === 'invalid_client' ? 401 : code === 'server_error' ? 500 : code === 'temporarily_unavailable' ? 503 : 400);
  }

  /** The JSON body of RFC 6749 §5.2. */
  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

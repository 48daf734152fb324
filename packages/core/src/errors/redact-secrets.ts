/** Longest error text the library writes into a log line, an error or a health detail. */
export const MAX_ERROR_TEXT = 1000;

/**
 * Masks what looks like a credential in text about to leave the library (log lines, error
 * messages, health details, dead-letter attributes): AWS errors may quote the signed request, and
 * an endpoint URL may carry a password. Also caps the length, so one huge message cannot flood a
 * log or a health endpoint.
 */
export function redactSecrets(text: string, maxLength = MAX_ERROR_TEXT): string {
  const masked = text
    // user:password@ in URLs
    .replace(/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1***@')
    // access key ids (long-term AKIA…, temporary ASIA…)
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1***')
    // presigned URL and signing parameters, in a query or a header value
    .replace(
      /\b(X-Amz-(?:Credential|Security-Token|Signature)|AWSAccessKeyId|Signature|Credential|SignedHeaders)=[^\s&,"']+/gi,
      '$1=***',
    )
    // signing headers quoted whole: `x-amz-security-token: …`, `authorization: AWS4-HMAC-SHA256 …`
    .replace(/\b(x-amz-security-token|authorization)(["']?\s*:\s*["']?)[^\r\n"']+/gi, '$1$2***');
  return masked.length > maxLength ? `${masked.slice(0, maxLength)}…` : masked;
}

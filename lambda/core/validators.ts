/**
 * Validators shared by the configuration schemas and the adapters: one rule per kind of value,
 * so a value one accepts the other never refuses.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why an Amani base URL is not acceptable, or undefined when it is: https, or http to a loopback
 * host (local runs and tests); no credentials, query or fragment.
 */
export function amaniBaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://eu.amani.ai';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'must use https (http is allowed only for 127.0.0.1, ::1 or localhost)';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.search || url.hash) return 'must not contain a query or fragment';
  return undefined;
}

import { parse } from 'tldts';

/**
 * The registrable domain (eTLD+1) of a web address, or null when it has none that may leave the device:
 * non-web schemes (file:, data:, blob:, about:, ...), IP addresses, localhost, intranet names and anything not
 * under a public (ICANN) suffix. Paths, queries, fragments, ports, user info and subdomains are all dropped.
 * The host is read with the WHATWG URL parser first, so an internationalised name comes out in its ASCII
 * (punycode) form, the only form a collector accepts.
 */
export function registrableDomain(address: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return null;
  let hostname: string;
  try {
    hostname = new URL(address).hostname;
  } catch {
    return null;
  }
  const parsed = parse(hostname, { allowPrivateDomains: false });
  if (parsed.isIp || !parsed.isIcann || !parsed.domain) return null;
  return parsed.domain.toLowerCase();
}

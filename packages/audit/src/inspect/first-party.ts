import { getDomain } from 'tldts';
import type { CapturedRequest } from '../capture/har-entry.js';

const domains = new Map<string, string | null>();

/** The registrable domain of a URL's host, or undefined when it has none (an IP address, a bad URL). */
export function registrableDomain(url: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return undefined;
  }
  // Remembered per host: captures name few hosts, and values carry the same page addresses again and again.
  let domain = domains.get(hostname);
  if (domain === undefined) {
    domain = getDomain(hostname.replace(/^\[|\]$/g, '').toLowerCase(), { allowPrivateDomains: false });
    if (domains.size >= 10_000) domains.clear();
    domains.set(hostname, domain);
  }
  return domain ?? undefined;
}

function header(request: CapturedRequest, name: string): string | undefined {
  return request.headers.find((h) => h.name.toLowerCase() === name)?.value;
}

/** A top-level navigation: what the browser loaded as the page itself, not as a frame or a resource of it. */
function isNavigation(request: CapturedRequest): boolean {
  if (request.resourceType !== undefined) return request.resourceType === 'document';
  const dest = header(request, 'sec-fetch-dest');
  if (dest !== undefined) return dest === 'document';
  return false;
}

/** Browsers that send no Sec-Fetch headers (Firefox before 90) still ask for HTML first when loading a page. */
function asksForHtml(request: CapturedRequest): boolean {
  return request.method === 'GET' && (header(request, 'accept') ?? '').startsWith('text/html');
}

/**
 * The site that made a request, from the request alone, for captures with neither pages nor navigations (a proxy
 * capture of a browser): `Sec-Fetch-Site: same-origin`/`same-site` says it is the destination's own site; else
 * the Origin, else the Referer, names the page that sent it. App requests carry none of these.
 */
function initiator(request: CapturedRequest): string | undefined {
  const site = header(request, 'sec-fetch-site');
  if (site === 'same-origin' || site === 'same-site') return registrableDomain(request.url);
  for (const name of ['origin', 'referer']) {
    const value = header(request, name);
    if (value && value !== 'null') {
      const domain = registrableDomain(value);
      if (domain !== undefined) return domain;
    }
  }
  return undefined;
}

/**
 * The first party of each request: the site the person was visiting, as a privacy researcher reads a capture.
 * Given on the command line it holds for every request. Otherwise it is the registrable domain of the page:
 * the page's address when the capture records it (`log.pages[].title` as a URL), else the page's first top-level
 * document request; without pages, each top-level navigation sets it for the requests after it. App captures
 * have neither, and then there is no first party: every destination is judged on its own.
 */
export class FirstParty {
  private readonly byPage = new Map<string, string>();
  private readonly byFile = new Map<string, string>();
  private readonly fixed: string | undefined;

  /** `domain`: the first party given by the user, for every request (any host under it is accepted). */
  constructor(domain?: string) {
    this.fixed = domain ? (getDomain(domain.toLowerCase(), { allowPrivateDomains: false }) ?? domain) : undefined;
  }

  /** The first party's registrable domain for this request, or undefined when unknown. */
  of(request: CapturedRequest): string | undefined {
    if (this.fixed !== undefined) return this.fixed;
    const page = request.page;
    if (page) {
      const key = `${request.file}\n${page.id}`;
      let domain = this.byPage.get(key);
      if (domain === undefined) {
        const from = page.url ?? (isNavigation(request) || asksForHtml(request) ? request.url : undefined);
        domain = from ? registrableDomain(from) : undefined;
        if (domain !== undefined) this.byPage.set(key, domain);
      }
      if (domain !== undefined) return domain;
    }
    if (isNavigation(request)) {
      const domain = registrableDomain(request.url);
      if (domain !== undefined) this.byFile.set(request.file, domain);
    }
    return this.byFile.get(request.file) ?? initiator(request);
  }
}

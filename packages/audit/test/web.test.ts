// Browser captures judged as a privacy researcher reads them: the site being visited is the first party, what
// reaches third parties is what leaks. Each case is an attack or a false alarm seen in real captures.
import { createHash } from 'node:crypto';
import { auditFiles, runAudit } from '@candor/audit';
import { expect, describe as group, it } from 'vitest';
import { PERSON } from './fixtures/captures.js';
import { described, tempDir, writeJson } from './helpers.js';

const dir = tempDir();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Req {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  body?: { mimeType: string; text: string };
  pageref?: string;
  resourceType?: string;
}

function har(requests: Req[], pages?: Array<{ id: string; title: string }>) {
  return {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      ...(pages
        ? { pages: pages.map((p) => ({ ...p, startedDateTime: '2026-11-22T02:00:00.000Z', pageTimings: {} })) }
        : {}),
      entries: requests.map((r) => ({
        ...(r.pageref ? { pageref: r.pageref } : {}),
        ...(r.resourceType ? { _resourceType: r.resourceType } : {}),
        request: {
          method: r.method ?? (r.body ? 'POST' : 'GET'),
          url: r.url,
          headers: Object.entries(r.headers ?? {}).map(([name, value]) => ({ name, value })),
          cookies: Object.entries(r.cookies ?? {}).map(([name, value]) => ({ name, value })),
          ...(r.body ? { postData: r.body } : {}),
        },
        response: { status: 200 },
      })),
    },
  };
}

let n = 0;
async function audit(requests: Req[], pages?: Array<{ id: string; title: string }>, firstParty?: string) {
  const file = writeJson(dir, `web-${n++}.har`, har(requests, pages));
  return auditFiles([file], firstParty ? { firstParty } : {});
}

const page = [{ id: 'p1', title: 'https://www.clinic.example.com/' }];
const SESSION = 'a81f0c9e2b7d4e3f9c1a';

group('the first party', () => {
  it('is not reported for what it receives, but its id reaching a third party is', async () => {
    const result = await audit(
      [
        { pageref: 'p1', url: `https://www.clinic.example.com/tests/hiv?sess=${SESSION}`, cookies: { sid: SESSION } },
        { pageref: 'p1', url: `https://shop.clinic.example.com/cart?email=${encodeURIComponent(PERSON.email)}` },
        { pageref: 'p1', url: `https://tracker.example.net/t?vid=${SESSION}` },
      ],
      page,
    );
    expect(described(result)).toEqual(['2|persistent-id|recurs-across-sites|query|vid|']);
  });

  it('still reports a --known value sent to the first party', async () => {
    const file = writeJson(
      dir,
      'known-first.har',
      har([{ pageref: 'p1', url: `https://www.clinic.example.com/x?e=${encodeURIComponent(PERSON.email)}` }], page),
    );
    const result = await auditFiles([file], { known: [{ name: 'email', value: PERSON.email }] });
    expect(result.findings.map((f) => f.category)).toEqual(['known-value']);
  });

  it('is the first top-level navigation when the capture has no pages, and moves with the next one', async () => {
    const nav = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate' };
    const result = await audit([
      { url: 'https://news.example.org/', headers: nav },
      { url: 'https://ads.example.net/px?dl=https%3A%2F%2Fnews.example.org%2F' },
      { url: 'https://news.example.org/api?dl=https%3A%2F%2Fnews.example.org%2Fworld' },
      { url: 'https://ads.example.net/', headers: nav },
      { url: 'https://ads.example.net/px?dl=https%3A%2F%2Fads.example.net%2Fhome' },
    ]);
    // Only the pixel on the news site leaks; once the person is on the ad site, its own pixel is first party.
    expect(described(result)).toEqual(['1|browsing-history|url|query|dl|']);
  });

  it('is read from Sec-Fetch-Site, Origin or Referer in a proxy capture of a browser (no pages, no navigations)', async () => {
    const body = JSON.stringify({
      metadata: { domain: 'news.example.org', path: '/world/42', referrer: 'https://www.google.com/' },
    });
    const result = await audit([
      {
        url: 'https://www.news.example.org/img/a.svg',
        headers: { 'sec-fetch-site': 'same-origin' },
        cookies: { _ga: 'GA1.2.1478153842.1693348042' },
      },
      {
        url: 'https://metrics.example.net/m',
        headers: { Origin: 'https://www.news.example.org' },
        body: { mimeType: 'text/plain', text: body },
      },
    ]);
    expect(described(result)).toEqual([
      '1|browsing-history|url|body|metadata.path|json',
      '1|browsing-history|url|body|metadata.referrer|json',
    ]);
  });

  it('can be given: --first-party makes requests to it first party', async () => {
    const requests = [{ url: `https://api.shop.example.com/login?email=${encodeURIComponent(PERSON.email)}` }];
    expect(described(await audit(requests))).toEqual(['0|contact|email|query|email|']);
    expect(described(await audit(requests, undefined, 'shop.example.com'))).toEqual([]);
  });

  it('refuses a --first-party that is not a domain', async () => {
    const err: string[] = [];
    const code = await runAudit(['x.har', '--first-party', 'not a domain'], {
      stdout: () => undefined,
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('--first-party expects a domain such as example.com, not "not a domain"');
  });
});

group('page addresses sent to third parties', () => {
  it('counts the homepage in a page-address field, and the first party page in any field', async () => {
    const home = encodeURIComponent('https://www.clinic.example.com/');
    const result = await audit(
      [
        { pageref: 'p1', url: `https://px.example.net/p?dl=${home}&c7=${home}&misc=${home}` },
        {
          pageref: 'p1',
          url: `https://px.example.net/p?co=${Buffer.from('https://www.clinic.example.com:443').toString('base64')}`,
        },
      ],
      page,
    );
    expect(described(result)).toEqual([
      '0|browsing-history|url|query|c7|',
      '0|browsing-history|url|query|dl|',
      '0|browsing-history|url|query|misc|',
      '1|browsing-history|url|query|co|base64',
    ]);
  });

  it('reads the Referer: a page of the site is a page address, an origin is only the site', async () => {
    const result = await audit(
      [
        { pageref: 'p1', url: 'https://cdn.example.net/a.js', headers: { Referer: 'https://www.clinic.example.com/' } },
        {
          pageref: 'p1',
          url: 'https://cdn.example.net/b.js',
          headers: { Referer: 'https://www.clinic.example.com/tests/hiv' },
        },
        {
          pageref: 'p1',
          url: 'https://www.clinic.example.com/c.js',
          headers: { Referer: 'https://www.clinic.example.com/tests/hiv' },
        },
        {
          pageref: 'p1',
          url: 'https://px.example.net/d',
          headers: { Referer: 'https://frame.example.net/widget?x=1' },
        },
      ],
      page,
    );
    expect(described(result)).toEqual(['1|browsing-history|referer|header|referer|']);
  });

  it('follows a URL inside a value into its query and fragment', async () => {
    const inner = `https://www.clinic.example.com/register?email=${encodeURIComponent(PERSON.email)}#ref=mail&uid=a81f0c9e2b7d4e3f`;
    const result = await audit(
      [{ pageref: 'p1', url: `https://px.example.net/p?dl=${encodeURIComponent(inner)}` }],
      page,
    );
    expect(described(result)).toEqual([
      '0|account-id|account-field|query|dl.uid|url-fragment>form',
      '0|browsing-history|url|query|dl|',
      '0|contact|email|query|dl.email|url-query',
      '0|persistent-id|tracker-id|query|dl.uid|url-fragment>form',
    ]);
  });

  it('does not take sync hops, click redirects, OAuth scopes, error reports or templates for pages', async () => {
    const values = {
      u: 'https://tags.example.net/site/29001/sync?3rdpartyuserid=@USERID@',
      r: 'https://ad.example.net/click?redir=https%3A%2F%2Fshop.example.org%2F',
      scope: 'https://www.googleapis.com/auth/userinfo.email',
      err: 'https://logs.example.net/errors/js?m=TypeError',
      next: 'https://cdn.example.net/{{page}}/view',
    };
    const query = Object.entries(values)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    expect(described(await audit([{ url: `https://t.example.com/x?${query}` }]))).toEqual([]);
  });
});

group('searches reaching third parties', () => {
  it('finds a site search in a full Referer, a search path and a results page title', async () => {
    const result = await audit(
      [
        {
          pageref: 'p1',
          url: 'https://cdn.example.net/w.js',
          headers: { Referer: 'https://www.clinic.example.com/shop/?s=pregnancy&search=Search' },
        },
        {
          pageref: 'p1',
          url: `https://px.example.net/p?u=${encodeURIComponent('https://www.clinic.example.com/search/pregnancy/')}`,
        },
        { pageref: 'p1', url: 'https://px.example.net/p?dt=You%20searched%20for%20pregnancy%20%3E%20Clinic' },
      ],
      page,
    );
    expect(described(result)).toEqual([
      '0|browsing-history|referer|header|referer|',
      '0|search-query|url-search-param|header|referer|',
      '1|browsing-history|url|query|u|',
      '1|search-query|url-search-param|query|u|',
      '2|search-query|search-title|query|dt|',
    ]);
  });

  it('takes neither a URI template for a page nor the hash of a placeholder for a phone number', async () => {
    const template = encodeURIComponent('https://www.clinic.example.com/?s={search_term_string}');
    const hashOfOne = createHash('sha256').update('1').digest('hex');
    const hit = `https://px.example.net/p?target=${template}&udff[ph]=${hashOfOne}`;
    expect(
      described(
        await audit(
          [
            { pageref: 'p1', url: hit },
            { pageref: 'p1', url: `${hit}&n=2` },
          ],
          page,
        ),
      ),
    ).toEqual([]);
  });
});

group('payloads real trackers send', () => {
  it('reads e-mail addresses held in JSON keys', async () => {
    const body = JSON.stringify({ subscribers: { [PERSON.email]: { opted: true } } });
    const result = await audit([
      { url: 'https://api.example.net/s', body: { mimeType: 'application/json', text: body } },
    ]);
    expect(described(result)).toEqual([`0|contact|email|body|subscribers.${PERSON.email}.(key)|json`]);
  });

  it('reads form-shaped text/plain beacons, one hit per line, and JSON sent as a form', async () => {
    const lines = `v=2&en=page_view&dl=${encodeURIComponent('https://news.example.org/a')}\nv=2&en=login&em=${encodeURIComponent(PERSON.email)}`;
    const result = await audit([
      { url: 'https://an.example.net/batch', body: { mimeType: 'text/plain;charset=UTF-8', text: lines } },
      {
        url: 'https://an.example.net/identify',
        body: { mimeType: 'application/x-www-form-urlencoded', text: JSON.stringify({ $email: PERSON.email }) },
      },
    ]);
    expect(described(result)).toEqual([
      '0|browsing-history|url|body|[0].dl|form',
      '0|contact|email|body|[1].em|form',
      '1|contact|email|body|$email|json',
    ]);
  });

  it('recognises tracker ids sent once, by their documented names and forms, and hashed e-mails', async () => {
    const result = await audit([
      {
        url: `https://www.facebook.com/tr/?id=1790176861228431&ev=PageView&fbp=fb.1.1686166419258.1182598534&ud[em]=${sha256(PERSON.email)}`,
      },
      { url: 'https://bat.example.com/a', cookies: { MUID: '291F611D6E57691C08C073E86FD868B4' } },
      { url: `https://ads.example.net/m?google_gid=CAESEHkc9mw3K2bHj3h2&u_hem=${sha256(PERSON.email)}` },
      {
        url: 'https://ssl.example.com/__utm.gif?utmcc=__utma%3D152498875.804566204.1457597200.1457597200.1457597200.1%3B%2B__utmz%3D152498875.1457597200.1.1.utmcsr%3D(direct)%3B',
      },
    ]);
    expect(described(result)).toEqual([
      '0|contact|hashed-email|query|ud[em]|',
      // The same hashed address at two companies ties the two together.
      '0|persistent-id|recurs-across-sites|query|ud[em]|',
      '0|persistent-id|tracker-id|query|fbp|',
      '1|persistent-id|tracker-id|cookie|MUID|',
      '2|contact|hashed-email|query|u_hem|',
      '2|persistent-id|recurs-across-sites|query|u_hem|',
      '2|persistent-id|tracker-id|query|google_gid|',
      '3|persistent-id|tracker-id|query|utmcc.__utma|cookie',
    ]);
  });

  it('reports a third party cookie holding an id, not one holding a language or a counter', async () => {
    const result = await audit(
      [
        {
          pageref: 'p1',
          url: 'https://sync.example.net/match',
          cookies: { tuuid: '2310a21b-12c6-46e9-bc82-5cbd37645bae', lang: 'en-US', seen: '3408', ts: '1686167563' },
        },
      ],
      page,
    );
    expect(described(result)).toEqual(['0|persistent-id|third-party-cookie|cookie|tuuid|']);
  });
});

group('false alarms real captures raised', () => {
  it('site and tag keys, callbacks, correlators, sizes and product ids that recur link nobody', async () => {
    const hit = (i: number) =>
      `https://t.example.net/c?tid=UA-31246987-1&gtm=GTM-5XK2Q9&cb=jQuery1124087_1686166${i}&callback=__lc_static_config2&correlator=4417213392871&sr=1024x702&prodid=MLB_00FF&client=ca-pub-9512347651234567&key=AIzaSyBcL0tAxXGz17Dt4EFb8lvUL-RMg9UzaS8`;
    // The SKU also goes to a second site under a name that does not say what it is.
    const result = await audit([{ url: hit(1) }, { url: hit(2) }, { url: 'https://u.example.org/v?p=MLB_00FF' }]);
    expect(described(result)).toEqual([]);
  });

  it('a submit button label is not a search, nor a long word in a third-party cookie an id', async () => {
    const searchPage = 'https://www.clinic.example.com/shop/?s=pregnancy&search=Search';
    const result = await audit(
      [
        {
          pageref: 'p1',
          url: `https://px.example.net/p?dl=${encodeURIComponent(searchPage)}`,
          cookies: { tsrce: 'smartcomponentnodeweb' },
        },
      ],
      page,
    );
    expect(described(result)).toEqual([
      '0|browsing-history|url|query|dl|',
      '0|search-query|url-search-param|query|dl|',
    ]);
  });

  it('meta keywords, image quality and window sizes are not searches; a cookie string is not an e-mail', async () => {
    const result = await audit([
      {
        url: 'https://t.example.net/c?keywords=hiv%2C%20test%2C%20home%2C%20kit&q=60&wd=1024x702',
        cookies: { prefs: 'effcl@0.totcl@0' },
      },
    ]);
    expect(described(result)).toEqual([]);
  });

  it('a 15-digit number named for something else is not an IMEI, nor is an unfilled macro an account', async () => {
    const result = await audit([{ url: 'https://t.example.net/c?id=490154203237518&user_id=%25DID%25&uid={{uid}}' }]);
    expect(described(result)).toEqual([]);
  });
});

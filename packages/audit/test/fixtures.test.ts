import { fileURLToPath } from 'node:url';
import { auditFiles } from '@candor/audit';
import { expect, describe as group, it } from 'vitest';
import {
  AD_SDK_FINDINGS,
  AD_SDK_KNOWN_FINDINGS,
  adSdkCapture,
  cleanCapture,
  MIUI_FINDINGS,
  miuiCapture,
  PERSON,
  PHONE_ACTIVITY_FINDINGS,
  PRIVATE_MODE_FINDINGS,
  PROTOBUF_FINDINGS,
  phoneActivityCapture,
  privateModeCapture,
  protobufCapture,
  SENSORS_FINDINGS,
  sensorsCapture,
} from './fixtures/captures.js';
import { described, tempDir, writeJson } from './helpers.js';

const dir = tempDir();

group('fixture captures produce exactly their findings', () => {
  it.each([
    ['sensors', sensorsCapture, SENSORS_FINDINGS],
    ['miui', miuiCapture, MIUI_FINDINGS],
    ['ad-sdk', adSdkCapture, AD_SDK_FINDINGS],
    ['protobuf', protobufCapture, PROTOBUF_FINDINGS],
    ['private-mode', privateModeCapture, PRIVATE_MODE_FINDINGS],
    ['phone-activity', phoneActivityCapture, PHONE_ACTIVITY_FINDINGS],
    ['clean', cleanCapture, []],
  ] as const)('%s', async (name, build, expected) => {
    const file = writeJson(dir, `${name}.har`, build());
    const result = await auditFiles([file]);
    expect(described(result)).toEqual([...expected].sort());
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ['sensors.har', SENSORS_FINDINGS],
    ['miui.har', MIUI_FINDINGS],
    ['miui.zhar', MIUI_FINDINGS],
    ['ad-sdk.har', AD_SDK_FINDINGS],
    ['protobuf.har', PROTOBUF_FINDINGS],
    ['private-mode.har', PRIVATE_MODE_FINDINGS],
    ['phone-activity.har', PHONE_ACTIVITY_FINDINGS],
    ['clean.har', []],
  ] as const)('the committed file fixtures/%s gives the same findings', async (name, expected) => {
    const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
    expect(described(await auditFiles([file]))).toEqual([...expected].sort());
  });

  it('finds hashed values the user names with --known, in any letter case', async () => {
    const file = writeJson(dir, 'ad-known.har', adSdkCapture());
    const result = await auditFiles([file], {
      known: [
        { name: 'email', value: PERSON.email },
        { name: 'imei', value: PERSON.imei },
      ],
    });
    expect(described(result)).toEqual([...AD_SDK_FINDINGS, ...AD_SDK_KNOWN_FINDINGS].sort());
    const sha256 = result.findings.find((f) => f.detector === 'known-sha256');
    expect(sha256?.note).toBe('email (sha256)');
  });

  it('records what was sent where: hosts, registrable domains, categories', async () => {
    const file = writeJson(dir, 'sensors-dest.har', sensorsCapture());
    const result = await auditFiles([file]);
    expect(result.hosts).toHaveLength(1);
    const host = result.hosts[0];
    expect(host?.host).toBe('sa.api.intl.miui.com');
    expect(host?.domain).toBe('miui.com');
    expect(host?.addresses).toEqual(['161.117.0.10']);
    expect(host?.categories).toEqual({
      'browsing-history': 2,
      'search-query': 1,
      'device-fingerprint': 2,
      'persistent-id': 5,
    });
    expect(result.domains.map((d) => d.domain)).toEqual(['miui.com']);
    const search = result.findings.find((f) => f.category === 'search-query');
    expect(search?.evidence).toBe('hiv test near me');
    expect(search?.severity).toBe('high');
  });

  it('finds the Google Analytics client id that links page views, and the pages themselves', async () => {
    const cid = '1234567890.1763780000';
    const hit = (page: string, n: number) => ({
      request: {
        method: 'POST',
        url: `https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123XYZ&cid=${cid}&_s=${n}&dl=${encodeURIComponent(page)}&sid=1763780000&en=page_view`,
        headers: [],
        cookies: [],
      },
    });
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        entries: [hit('https://shop.example/cart', 1), hit('https://shop.example/checkout?step=2', 2)],
      },
    };
    const result = await auditFiles([writeJson(dir, 'ga4.har', har)]);
    expect(described(result)).toEqual([
      '0|browsing-history|url|query|dl|',
      '0|persistent-id|recurs-across-requests|query|cid|',
      '0|persistent-id|tracker-id|query|cid|',
      '1|browsing-history|url|query|dl|',
      '1|persistent-id|recurs-across-requests|query|cid|',
      '1|persistent-id|tracker-id|query|cid|',
    ]);
  });

  it('reads Authorization headers: JWT claims of a bearer token, the user of Basic credentials', async () => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'u-8812', email: PERSON.email })}.c2ln`;
    const request = (auth: string) => ({
      request: {
        method: 'GET',
        url: 'https://api.example.com/v1/me',
        headers: [{ name: 'Authorization', value: auth }],
      },
    });
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'x', version: '1' },
        entries: [request(`Bearer ${jwt}`), request(`Basic ${Buffer.from('jane_doe:hunter2').toString('base64')}`)],
      },
    };
    const result = await auditFiles([writeJson(dir, 'auth.har', har)]);
    expect(described(result)).toEqual([
      '0|contact|email|header|authorization.payload.email|jwt',
      '1|account-id|account-field|header|authorization.user|base64',
    ]);
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('audits several files at once, each finding naming its file', async () => {
    const a = writeJson(dir, 'multi-a.har', miuiCapture());
    const b = writeJson(dir, 'multi-b.har', privateModeCapture());
    const result = await auditFiles([a, b]);
    expect(result.files).toEqual([
      { file: a, requests: 1 },
      { file: b, requests: 1 },
    ]);
    expect(new Set(result.findings.map((f) => f.file))).toEqual(new Set([a, b]));
    expect(
      result.findings
        .filter((f) => f.file === b)
        .map((f) => f.category)
        .sort(),
    ).toEqual(['browsing-history', 'private-mode']);
  });
});

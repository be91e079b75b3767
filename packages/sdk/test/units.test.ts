import * as protocol from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { crashKey, crashSignature, crashType, normaliseFrames } from '../src/crash/signature.js';
import * as limits from '../src/limits.js';
import { Distribution } from '../src/metrics/distribution.js';
import { coarseAppVersion, coarseLanguage, coarseModelFamily, coarseOs, coarseOsMajor } from '../src/system/coarse.js';
import { detectSystem } from '../src/system/detect.js';
import { setup } from './support/setup.js';

describe('wire limits mirrored from the protocol', () => {
  it('match @candor/protocol exactly', () => {
    expect(limits.REPORT_VERSION).toBe(protocol.REPORT_VERSION);
    expect(limits.MAX_REPORTS_PER_BATCH).toBe(protocol.MAX_REPORTS_PER_BATCH);
    expect([...limits.OS_NAMES]).toEqual([...protocol.OS_NAMES]);
  });
});

describe('coarse system info', () => {
  it('keeps the model family, not the model', () => {
    expect(coarseModelFamily('Redmi Note 8 Pro')).toBe('redmi note');
    expect(coarseModelFamily('Mi 10')).toBe('mi');
    expect(coarseModelFamily('Pixel 7a')).toBe('pixel');
    expect(coarseModelFamily('iPhone14,2')).toBe('other');
    expect(coarseModelFamily('iPhone')).toBe('iphone');
    expect(coarseModelFamily('SM-G991B')).toBe('other');
    expect(coarseModelFamily('Galaxy S21 Ultra')).toBe('galaxy');
    expect(coarseModelFamily(undefined)).toBe('other');
  });
  it('maps OS names to the closed list and keeps only the major version', () => {
    expect(coarseOs('Android')).toBe('android');
    expect(coarseOs('iPadOS')).toBe('ios');
    expect(coarseOs('Mac OS X')).toBe('macos');
    expect(coarseOs('CrOS')).toBe('chromeos');
    expect(coarseOs('HarmonyOS')).toBe('other');
    expect(coarseOsMajor('12.1.4')).toBe(12);
    expect(coarseOsMajor(14.7)).toBe(14);
    expect(coarseOsMajor('MIUI')).toBe(0);
  });
  it('keeps the language, not the region', () => {
    expect(coarseLanguage('en-GB')).toBe('en');
    expect(coarseLanguage('zh_Hant_TW')).toBe('zh');
    expect(coarseLanguage('')).toBe('und');
  });
  it('keeps app versions as major.minor', () => {
    expect(coarseAppVersion('3.4.1')).toBe('3.4');
    expect(coarseAppVersion('12.0.7-beta+build.5')).toBe('12.0');
    expect(coarseAppVersion('3')).toBe('3.0');
    expect(coarseAppVersion('beta')).toBeNull();
  });
  it('reads Android, iOS and desktop user agents', () => {
    const ua =
      'Mozilla/5.0 (Linux; Android 10; Redmi Note 8 Pro Build/QP1A.190711.020) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36';
    expect(detectSystem({ userAgent: ua, language: 'ru-RU' })).toEqual({
      os: 'android',
      osMajor: '10',
      modelFamily: 'Redmi Note 8 Pro',
      language: 'ru-RU',
    });
    expect(
      detectSystem({ userAgent: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36' }).modelFamily,
    ).toBeUndefined();
    expect(detectSystem({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X)' })).toMatchObject({
      os: 'ios',
      osMajor: '17',
    });
    expect(detectSystem({ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' })).toMatchObject({
      os: 'windows',
      osMajor: '10',
    });
    expect(detectSystem({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' })).toMatchObject({ os: 'linux' });
  });
});

describe('crash signatures', () => {
  const v8Stack = (message: string, dir: string, line: number) =>
    `TypeError: ${message}\n` +
    `    at renderPage (https://app.example.com/${dir}/main.3f9a1c2b.js?v=${line}:${line}:17)\n` +
    `    at async Router.go [as navigate] (https://app.example.com/${dir}/router.js:${line + 3}:5)\n` +
    `    at useEffect (https://app.example.com/node_modules/react/index.js:10:1)\n` +
    `    at chrome-extension://abcdef/inject.js:1:1\n` +
    `    at <anonymous>\n`;

  it('keeps only the app’s own frames, as function@file, without paths, hosts, queries, lines or build hashes', () => {
    expect(normaliseFrames(v8Stack('x', 'static', 120).split('\n').slice(1).join('\n'))).toEqual([
      'renderPage@main.js',
      'Router.go@router.js',
    ]);
    const firefox =
      'renderPage@https://app.example.com/static/main.js:120:17\ngo@https://app.example.com/static/router.js:9:5\n@debugger eval code:1:1';
    expect(normaliseFrames(firefox)).toEqual(['renderPage@main.js', 'go@router.js']);
  });

  it('gives the same signature whatever the message, paths, lines or build hash', async () => {
    const a = crashKey({
      name: 'TypeError',
      message: 'alice@example.com not found',
      stack: v8Stack('alice@example.com not found', 'static', 120),
    });
    const b = crashKey({
      name: 'TypeError',
      message: 'bob token=abc',
      stack: v8Stack('bob token=abc', 'assets/v2', 999),
    });
    expect(a.key).toBe(b.key);
    expect(a.key).not.toMatch(/alice|bob|token|example|static|assets|120|999/);
    expect(await crashSignature(a.key)).toBe(await crashSignature(b.key));
    expect(await crashSignature(a.key)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a message can never pose as a frame', () => {
    const message = 'failed\n    at leak (https://evil.example/alice@example.com.js:1:1)';
    const key = crashKey({
      name: 'Error',
      message,
      stack: `Error: ${message}\n    at main (https://app.example.com/app.js:1:1)`,
    }).key;
    expect(key).toBe('Error\nmain@app.js');
  });

  it('ignores frames that name no source position, such as Promise.all indexes that depend on scheduling', async () => {
    const stack = (index: number) =>
      'TypeError: x\n' +
      '    at decodeImageTile (file:///app/src/device.ts:58:10)\n' +
      '    at async SimulatedPhone.actOneMinute (file:///app/src/device.ts:103:5)\n' +
      `    at async Promise.all (index ${index})\n` +
      '    at async worker (file:///app/src/fleet.ts:103:11)';
    const a = crashKey({ name: 'TypeError', message: 'x', stack: stack(3) });
    const b = crashKey({ name: 'TypeError', message: 'x', stack: stack(17) });
    expect(a.key).toBe('TypeError\ndecodeImageTile@device.ts\nSimulatedPhone.actOneMinute@device.ts\nworker@fleet.ts');
    expect(b.key).toBe(a.key);
  });

  it('different code paths give different signatures', async () => {
    const one = crashKey({
      name: 'TypeError',
      message: '',
      stack: 'TypeError\n    at a (https://x.example/app.js:1:1)',
    });
    const two = crashKey({
      name: 'TypeError',
      message: '',
      stack: 'TypeError\n    at b (https://x.example/app.js:1:1)',
    });
    expect(await crashSignature(one.key)).not.toBe(await crashSignature(two.key));
  });

  it('reports the type name only when it looks like one', () => {
    expect(crashType(new RangeError('x'))).toBe('RangeError');
    // Every built-in type keeps its name.
    for (const name of ['Error', 'EvalError', 'SyntaxError', 'URIError', 'AggregateError', 'InternalError']) {
      expect(crashType(Object.assign(new Error('x'), { name }))).toBe(name);
    }
    expect(crashType(new DOMException('x', 'AbortError'))).toBe('AbortError');
    expect(crashType(Object.assign(new Error('x'), { name: 'DOMException' }))).toBe('DOMException');
    expect(crashType(Object.assign(new Error('x'), { name: 'QuotaExceededError' }))).toBe('QuotaExceededError');
    expect(crashType(Object.assign(new Error('x'), { name: 'alice@example.com' }))).toBe('Error');
    expect(crashType(Object.assign(new Error('x'), { name: 'AliceSmith' }))).toBe('Error');
    expect(crashType('a thrown string')).toBe('Error');
    expect(crashType(null)).toBe('Error');
  });
});

describe('transparency log', () => {
  it('keeps the last N reports exactly as sent, decoded, with time, collector and outcome', async () => {
    const { candor, collector, endDay } = await setup({ transparencyLogSize: 2 });
    const seen: number[] = [];
    const unsubscribe = candor.onTransparencyLog((log) => seen.push(log.length));
    for (let i = 1; i <= 3; i++) {
      candor.counter('page_load.count').add(i);
      await endDay();
    }
    unsubscribe();
    const log = candor.transparencyLog();
    expect(log).toHaveLength(2);
    expect(log.map((e) => e.report)).toEqual(collector.reports.slice(-2));
    expect(log.map((e) => e.report.metrics['page_load.count'])).toEqual([2, 3]);
    expect(log[1]).toMatchObject({
      collector: 'https://collector.test',
      status: 'accepted',
      httpStatus: 202,
      // To the minute, no finer.
      sentAt: '2026-11-25T00:01Z',
    });
    expect(seen).toEqual([1, 2, 2]);
    // A copy: changing it does not change what the SDK keeps.
    log.pop();
    expect(candor.transparencyLog()).toHaveLength(2);
  });
});

describe('distribution buckets', () => {
  it('match protocol bucketIndex for every value tried, including bucket edges and the clamp', async () => {
    const { bucketIndex, bucketLowerBound, MAX_BUCKETED_VALUE } = protocol;
    const values = [0, 0.1, 1, 2, 3, 7.5, 100, 1e6, MAX_BUCKETED_VALUE, MAX_BUCKETED_VALUE * 10];
    for (let i = 1; i < 256; i++)
      values.push(bucketLowerBound(i), bucketLowerBound(i) - 1e-9, bucketLowerBound(i) + 1e-9);
    for (let i = 0; i < 2000; i++) values.push(Math.random() * 10 ** (i % 10));
    for (const v of values) {
      const d = new Distribution();
      d.record(v);
      expect(d.toJSON().buckets, String(v)).toEqual({ [bucketIndex(v)]: 1 });
    }
  });
});

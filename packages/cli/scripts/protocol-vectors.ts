/**
 * Writes the protocol's test vectors (packages/protocol/vectors/v1/) and the JSON Schemas published beside
 * docs/protocol.md (docs/protocol/). Run after `npm run build`:  npm run protocol:vectors
 *
 * Every expected verdict below is written by hand; the script computes what the collector's checks answer and
 * refuses to write anything when the two differ, so a vector never records behaviour nobody decided on.
 * Tests (protocol, sdk, server) read the written files and check the code against them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  bucketIndex,
  bucketLowerBound,
  candorBrowserRegistry,
  contributionBounds,
  encodeHeader,
  infoFor,
  keyConfigJsonSchema,
  MAX_BUCKET_INDEX,
  metricsJsonSchema,
  registrableDomain,
  reportBatchJsonSchema,
} from '@candor/protocol';
import { HpkeRecipient, sealBase } from '@candor/server';
import { createVerdictChecker } from '@candor/server/testing';
import { crashKey, crashSignature } from '../../sdk/src/crash/signature.js';
import { reportCases } from './protocol-vector-reports.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const vectorsDir = join(root, 'packages/protocol/vectors/v1');
const schemasDir = join(root, 'docs/protocol');

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** Fixed private keys: SHA-256 of a label, so anyone can re-derive them. */
const fixedKey = (label: string) => createHash('sha256').update(label).digest();

function write(dir: string, name: string, value: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

/** A recipient key pair from a fixed private key. */
function recipient(label: string) {
  const privateKey = fixedKey(label);
  return { privateKey, publicKey: new HpkeRecipient(privateKey).publicKey };
}

function envelopeVector(name: string, keyId: number, recipientLabel: string, ephemeralLabel: string, json: string) {
  const r = recipient(recipientLabel);
  const ephemeral = fixedKey(ephemeralLabel);
  const header = encodeHeader(keyId);
  const info = infoFor(header);
  const plaintext = gzipSync(json);
  const { enc, ciphertext } = sealBase(r.publicKey, info, new Uint8Array(0), plaintext, ephemeral);
  const schedule = new HpkeRecipient(r.privateKey).setup(enc, info);
  return {
    name,
    keyId,
    recipientPrivateKey: hex(r.privateKey),
    recipientPublicKey: hex(r.publicKey),
    recipientPublicKeyBase64url: r.publicKey.toString('base64url'),
    ephemeralPrivateKey: hex(ephemeral),
    enc: hex(enc),
    header: hex(header),
    info: hex(info),
    sharedSecret: hex(schedule.sharedSecret),
    key: hex(schedule.key),
    baseNonce: hex(schedule.baseNonce),
    json,
    plaintext: hex(plaintext),
    sealed: hex(Buffer.concat([header, enc, ciphertext])),
  };
}

function envelopes() {
  const one = JSON.stringify({ v: 1, reports: [reportCases[0]?.batch.reports[0]] });
  const accepted = [
    envelopeVector('one report, key id 1', 1, 'candor vectors recipient 1', 'candor vectors ephemeral 1', one),
    envelopeVector(
      'two reports, key id 200',
      200,
      'candor vectors recipient 2',
      'candor vectors ephemeral 2',
      JSON.stringify(reportCases[2]?.batch),
    ),
  ];
  const base = accepted[0] as ReturnType<typeof envelopeVector>;
  const sealed = Buffer.from(base.sealed, 'hex');
  const withByte = (at: number, value: number) => {
    const copy = Buffer.from(sealed);
    copy[at] = value;
    return hex(copy);
  };
  const notGzip = (() => {
    const r = recipient('candor vectors recipient 1');
    const header = encodeHeader(1);
    const ephemeral = fixedKey('candor vectors ephemeral 3');
    const { enc, ciphertext } = sealBase(r.publicKey, infoFor(header), new Uint8Array(0), Buffer.from(one), ephemeral);
    return hex(Buffer.concat([header, enc, ciphertext]));
  })();
  const problem = (slug: string) => `https://candor.dev/problems/${slug}`;
  // Each is sent to a collector holding only key 1 of the first vector.
  const refused = [
    { name: 'AEAD id 0x0002 (AES-256-GCM)', sealed: withByte(6, 2), status: 400, type: problem('unsupported-suite') },
    {
      name: 'key id 9, which the collector does not hold',
      sealed: withByte(0, 9),
      status: 400,
      type: problem('unknown-key'),
    },
    {
      name: 'one ciphertext bit flipped',
      sealed: withByte(sealed.length - 20, (sealed[sealed.length - 20] ?? 0) ^ 1),
      status: 400,
      type: problem('undecryptable'),
    },
    { name: 'enc changed', sealed: withByte(7, (sealed[7] ?? 0) ^ 0x40), status: 400, type: problem('undecryptable') },
    { name: 'plaintext JSON not gzipped', sealed: notGzip, status: 400, type: problem('malformed') },
    {
      name: 'shorter than header, enc and tag',
      sealed: hex(sealed.subarray(0, 54)),
      status: 400,
      type: problem('malformed'),
    },
  ];
  return { accepted, refused };
}

function sites() {
  const urls = [
    'https://www.google.com/search?q=divorce+lawyer',
    'http://user:pw@news.bbc.co.uk:8080/path#frag',
    'https://a.b.example.com.au/x',
    'https://Www.Example.COM./a',
    'https://münchen.de/stadtplan',
    'https://xn--mnchen-3ya.de/',
    'https://foo.blogspot.com/2020/post.html',
    'https://user.github.io/project',
    'https://example.co.uk:8443/?q=1',
    'https://mail.example.org/inbox?token=abc123',
    'file:///sdcard/Download/secret.pdf',
    'data:text/html,hello',
    'blob:https://example.com/123',
    'about:blank',
    'ftp://ftp.example.com/file',
    'http://192.168.1.10/admin',
    'http://127.1/',
    'http://[::1]/',
    'http://localhost:3000/',
    'http://intranet/wiki',
    'http://router.local/',
    'https://co.uk/',
    'https://com/',
  ];
  return urls.map((url) => ({ url, site: registrableDomain(url) }));
}

async function crashes() {
  const cases: { name: string; error: { name: string; message: string; stack: string } }[] = [
    {
      name: 'V8 stack: message and foreign frames dropped',
      error: {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'email') for user@example.com",
        stack: [
          "TypeError: Cannot read properties of undefined (reading 'email') for user@example.com",
          '    at renderProfile (https://app.example.com/assets/main.3f9a1c2b.js:10:200)',
          '    at https://app.example.com/assets/vendor.js?v=7:1:1',
          '    at Array.map (<anonymous>)',
          '    at loadPage (https://app.example.com/assets/main.3f9a1c2b.js:12:5)',
          '    at async Promise.all (index 3)',
          '    at react (https://app.example.com/node_modules/react/index.js:1:1)',
        ].join('\n'),
      },
    },
    {
      name: 'SpiderMonkey stack',
      error: {
        name: 'RangeError',
        message: 'invalid array length',
        stack:
          'grow@https://app.example.com/js/list-9a8b7c6d.js:4:10\n@https://app.example.com/js/list-9a8b7c6d.js:9:1\n',
      },
    },
    {
      name: 'a custom name that is not a type is reported as Error',
      error: { name: 'user@example.com', message: '', stack: '    at f (file:///app/src/a.js:1:1)' },
    },
    {
      name: 'more than 8 frames: the top 8 count',
      error: {
        name: 'Error',
        message: 'deep',
        stack: `Error: deep\n${Array.from({ length: 10 }, (_, i) => `    at f${i} (/app/src/deep.js:${i + 1}:1)`).join('\n')}`,
      },
    },
  ];
  const out = [];
  for (const c of cases) {
    const { type, key } = crashKey(c.error);
    out.push({
      name: c.name,
      error: c.error,
      type,
      frames: key.split('\n').slice(1),
      key,
      signature: await crashSignature(key),
    });
  }
  // Platforms that do not produce JS stacks start from normalised frames; only the hashing is common.
  for (const frames of [[], ['onClick@MainActivity.kt', 'dispatch@EventBus.kt']]) {
    const key = ['IllegalStateException', ...frames].join('\n');
    out.push({
      name: `frames only (${frames.length})`,
      type: 'IllegalStateException',
      frames,
      key,
      signature: await crashSignature(key),
    });
  }
  return out;
}

function buckets() {
  const values = new Set<number>([
    -5,
    0,
    0.05,
    0.09,
    0.1,
    0.5,
    1,
    2,
    3,
    7,
    8,
    100,
    1000,
    1234.5,
    65_535,
    65_536,
    2 ** 32 - 2,
    2 ** 32 - 1,
    2 ** 32,
    1e12,
  ]);
  // Integers on each side of every bucket's lower bound, where it is not itself an integer.
  for (let i = 1; i <= MAX_BUCKET_INDEX; i += 7) {
    const low = bucketLowerBound(i);
    if (low < 2 ** 32 - 1) {
      values.add(Math.ceil(low));
      values.add(Math.ceil(low) - 1);
    }
  }
  return {
    values: [...values].sort((a, b) => a - b).map((value) => ({ value, index: bucketIndex(value) })),
    lowerBounds: Array.from({ length: MAX_BUCKET_INDEX + 2 }, (_, i) => bucketLowerBound(i)),
  };
}

async function reports() {
  const failures: string[] = [];
  for (const c of reportCases) {
    const verdict = await createVerdictChecker({
      registry: candorBrowserRegistry,
      now: () => Date.parse(c.receivedAt),
    })(c.batch);
    const expected = c.expect;
    const matches =
      verdict.status === expected.status &&
      ('accepted' in expected
        ? 'accepted' in verdict && verdict.accepted === expected.accepted
        : 'type' in verdict &&
          verdict.type === expected.type &&
          verdict.metric === expected.metric &&
          verdict.field === expected.field &&
          (expected.detector === undefined || verdict.detector === expected.detector));
    if (!matches)
      failures.push(`${c.name}\n  expected ${JSON.stringify(expected)}\n  collector ${JSON.stringify(verdict)}`);
  }
  if (failures.length) {
    console.error(`the collector disagrees with ${failures.length} report vector(s):\n${failures.join('\n')}`);
    process.exit(1);
  }
  return reportCases;
}

const registry = {
  ...candorBrowserRegistry,
  bounds: Object.fromEntries(
    Object.entries(candorBrowserRegistry.metrics).map(([name, def]) => [name, contributionBounds(def)]),
  ),
};

write(vectorsDir, 'registry.json', registry);
write(vectorsDir, 'envelopes.json', envelopes());
write(vectorsDir, 'reports.json', await reports());
write(vectorsDir, 'sites.json', sites());
write(vectorsDir, 'crash-signatures.json', await crashes());
write(vectorsDir, 'buckets.json', buckets());
write(schemasDir, 'report-batch.schema.json', reportBatchJsonSchema());
write(schemasDir, `${candorBrowserRegistry.app}.metrics.schema.json`, metricsJsonSchema(candorBrowserRegistry));
write(schemasDir, 'keys.schema.json', keyConfigJsonSchema());
console.log(`wrote ${vectorsDir} and ${schemasDir}`);

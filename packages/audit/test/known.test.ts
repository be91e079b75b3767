import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { KnownValues } from '../src/detect/known.js';

const email = 'Jane.Doe@Example.org';
const known = new KnownValues([{ name: 'email', value: email }]);
const hex = (hash: string, input: string) => createHash(hash).update(input).digest('hex');

it.each([
  ['plain, other case', 'jane.doe@example.org', 'plain'],
  ['plain inside a longer value', 'to=jane.doe@example.org;cc=none', 'plain'],
  ['hex', Buffer.from(email.toLowerCase()).toString('hex'), 'hex'],
  ['base64', Buffer.from(email.toLowerCase()).toString('base64'), 'base64'],
  ['base64url inside a value', `x.${Buffer.from(email).toString('base64url')}.y`, 'base64url'],
  ['URL-encoded', encodeURIComponent(email), 'url'],
  ['MD5, upper-case hex', hex('md5', email.toLowerCase()).toUpperCase(), 'md5'],
  ['SHA-1', hex('sha1', email), 'sha1'],
  ['SHA-256 of the upper-case value', hex('sha256', email.toUpperCase()), 'sha256'],
  ['SHA-256 as base64', createHash('sha256').update(email.toLowerCase()).digest('base64'), 'base64(sha256)'],
  ['SHA-256 of the MD5 hex', hex('sha256', hex('md5', email.toLowerCase())), 'sha256(md5)'],
  [
    'SHA-1 of the upper-case SHA-256 hex',
    hex('sha1', hex('sha256', email.toLowerCase()).toUpperCase()),
    'sha1(sha256)',
  ],
])('finds the value as %s', (_, text, form) => {
  expect(known.match(text)).toEqual({ name: 'email', form });
});

it('does not match other values or short coincidences', () => {
  expect(known.match('john.roe@example.org')).toBeUndefined();
  expect(known.match(hex('md5', 'john.roe@example.org'))).toBeUndefined();
  expect(known.match('jane')).toBeUndefined();
  expect(new KnownValues([]).match(email)).toBeUndefined();
});

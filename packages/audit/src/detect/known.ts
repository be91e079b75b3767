import { createHash } from 'node:crypto';

/** A value the user knows is theirs (`--known email=jane@example.org`), to be found however it was disguised. */
export interface KnownValue {
  name: string;
  value: string;
}

export interface KnownMatch {
  name: string;
  /** How the value appeared, e.g. "plain", "hex", "sha256(md5)". */
  form: string;
}

type Hash = 'md5' | 'sha1' | 'sha256';
const HASHES: Hash[] = ['md5', 'sha1', 'sha256'];
/** Shorter forms would match by chance inside unrelated text. */
const MIN_SUBSTRING = 6;

function digest(hash: Hash, input: string): Buffer {
  return createHash(hash).update(input, 'utf8').digest();
}

/**
 * Every disguise of the known values the auditor recognises, precomputed once: the value in any letter case,
 * hex, base64, base64url and URL-encoded; its MD5, SHA-1 and SHA-256 (hex in either case, or base64); and one
 * hash of another's hex ("sha256(md5)", the way ad SDKs "anonymise" e-mail addresses and IMEIs).
 */
export class KnownValues {
  private readonly exact = new Map<string, KnownMatch>();
  private readonly contained: Array<[string, KnownMatch]> = [];

  constructor(readonly values: KnownValue[]) {
    for (const { name, value } of values) {
      const bases = new Set([value, value.trim(), value.toLowerCase(), value.toUpperCase()].filter((v) => v !== ''));
      for (const base of bases) {
        this.add(base, { name, form: 'plain' }, true);
        this.add(Buffer.from(base).toString('hex'), { name, form: 'hex' }, true);
        this.add(Buffer.from(base).toString('base64'), { name, form: 'base64' }, true);
        this.add(Buffer.from(base).toString('base64url'), { name, form: 'base64url' }, true);
        this.add(encodeURIComponent(base), { name, form: 'url' }, true);
        for (const first of HASHES) {
          const inner = digest(first, base);
          this.add(inner.toString('hex'), { name, form: first }, true);
          this.add(inner.toString('base64'), { name, form: `base64(${first})` }, true);
          for (const second of HASHES) {
            for (const hex of [inner.toString('hex'), inner.toString('hex').toUpperCase()])
              this.add(digest(second, hex).toString('hex'), { name, form: `${second}(${first})` }, true);
          }
        }
      }
    }
  }

  private add(form: string, match: KnownMatch, substring: boolean): void {
    const key = form.toLowerCase();
    if (this.exact.has(key)) return;
    this.exact.set(key, match);
    if (substring && key.length >= MIN_SUBSTRING) this.contained.push([key, match]);
  }

  get size(): number {
    return this.values.length;
  }

  /** The known value a string is, or contains, in any recognised form. */
  match(text: string): KnownMatch | undefined {
    if (this.values.length === 0 || text.length === 0) return undefined;
    const lower = text.toLowerCase();
    const whole = this.exact.get(lower);
    if (whole) return whole;
    for (const [form, match] of this.contained) if (lower.includes(form)) return match;
    return undefined;
  }
}

// `candor keys`: HPKE report keys and Oblivious HTTP gateway keys (create, rotate, list) and query tokens.
import { parseArgs } from 'node:util';
import {
  createKey,
  createToken,
  DEFAULT_GRACE_MS,
  type KeyKind,
  listTokens,
  readKeys,
  revokeToken,
  rotateKeys,
} from '@candor/server';

const USAGE = `usage: candor keys <command> [--keys DIR]

HPKE keys (private keys are written with mode 0600):
  create                      add a report key; it becomes the one clients seal to
  rotate [--grace-days N]     add a report key and an Oblivious HTTP gateway key, and retire the current ones
                              after N days (default 7); devices that still hold an old config can upload
                              until then, and fetch the new one after
  list                        list report keys and gateway keys, newest first, with their state

query tokens (only a SHA-256 of each is stored):
  token create NAME           create a token and print it once
  token list                  list token names
  token revoke NAME           revoke a token

options:
  --keys DIR                  key directory (default .candor/keys)`;

export async function run(argv: string[]): Promise<number> {
  const options = {
    keys: { type: 'string', default: '.candor/keys' },
    'grace-days': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    console.error(`candor keys: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const dir = values.keys;
  const [command, sub, name] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'create': {
      const key = await createKey(dir);
      console.log(`created key ${key.id} in ${dir}`);
      return 0;
    }
    case 'rotate': {
      const days = values['grace-days'] === undefined ? DEFAULT_GRACE_MS / 86_400_000 : Number(values['grace-days']);
      if (!Number.isFinite(days) || days < 0) {
        console.error('candor keys rotate: --grace-days must be a number of days >= 0');
        return 2;
      }
      // One instant for both, so the report key and the gateway key retire together.
      const now = new Date();
      const key = await rotateKeys(dir, days * 86_400_000, now);
      const gateway = await rotateKeys(dir, days * 86_400_000, now, 'ohttp');
      console.log(
        `created report key ${key.id} and gateway key ${gateway.id}; older keys retire in ${days} day(s). ` +
          'Running collectors pick them up within a minute.',
      );
      return 0;
    }
    case 'list': {
      const now = Date.now();
      const kinds: [KeyKind, string][] = [
        ['hpke', 'report'],
        ['ohttp', 'gateway'],
      ];
      let listed = 0;
      for (const [kind, label] of kinds) {
        for (const key of await readKeys(dir, kind)) {
          const state =
            key.retiresAt === null
              ? 'active'
              : Date.parse(key.retiresAt) > now
                ? `retiring ${key.retiresAt}`
                : `retired ${key.retiresAt}`;
          console.log(
            `${label.padEnd(7)}  ${String(key.id).padStart(3)}  ${key.createdAt}  ${state.padEnd(34)}  ${key.publicKey}`,
          );
          listed++;
        }
      }
      if (listed === 0) console.log(`no keys in ${dir} (candor keys create)`);
      return 0;
    }
    case 'token': {
      if (sub === 'create' && name) {
        const token = await createToken(dir, name);
        console.log(`query token "${name}" (shown once; only its hash is kept):\n${token}`);
        return 0;
      }
      if (sub === 'list') {
        const tokens = await listTokens(dir);
        if (tokens.length === 0) console.log('no query tokens');
        for (const t of tokens) console.log(`${t.name.padEnd(24)} created ${t.createdAt}`);
        return 0;
      }
      if (sub === 'revoke' && name) {
        const removed = await revokeToken(dir, name);
        console.log(removed ? `revoked "${name}"` : `no token named "${name}"`);
        return removed ? 0 : 1;
      }
      console.error(`candor keys token: expected create NAME, list or revoke NAME\n\n${USAGE}`);
      return 2;
    }
    default:
      console.error(`candor keys: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type MetricDefinition, prio3Kind } from '@candor/protocol';
import {
  type AnyPrio3,
  decodeInputShare,
  decodePrepareMessage,
  decodePrepareShare,
  decodePublicShare,
  encodeVector,
  HELPER,
  LEADER,
  prio3For,
} from '@candor/protocol/prio3';
import { writePrivateFile } from '../keys/files.js';

/**
 * One Prio3 preparation (VDAF-08, one round) split between the two aggregators as DAP draft 09 does it: the
 * leader sends its preparation share, the helper combines both into the preparation message (which fails when
 * the proof does not verify), keeps its output share and returns the message; the leader finishes with it.
 */

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

export function vdafOf(def: MetricDefinition): AnyPrio3 {
  return prio3For(prio3Kind(def));
}

/** The report id (32 hex) is the VDAF nonce: 16 bytes, fresh per report. */
function nonceOf(id: string): Buffer {
  return Buffer.from(id, 'hex');
}

export interface LeaderStart {
  state: Awaited<ReturnType<AnyPrio3['prepareInit']>>['preparationState'];
  prepareShare: string;
}

export async function leaderInit(
  vdaf: AnyPrio3,
  verifyKey: Buffer,
  id: string,
  publicShare: string,
  leaderShare: string,
): Promise<LeaderStart> {
  const input = await decodeInputShare(vdaf, LEADER, bytes(leaderShare));
  const pub = decodePublicShare(vdaf, bytes(publicShare));
  const { preparationState, preparationShare } = await vdaf.prepareInit(
    verifyKey,
    LEADER,
    null,
    nonceOf(id),
    pub,
    input,
  );
  return { state: preparationState, prepareShare: b64(vdaf.encodePreparationShare(preparationShare)) };
}

/** The helper's whole step; throws when a share does not decode or the proof fails. */
export async function helperPrepare(
  vdaf: AnyPrio3,
  verifyKey: Buffer,
  id: string,
  publicShare: string,
  helperShare: Uint8Array,
  leaderPrepareShare: string,
): Promise<{ output: string; message: string }> {
  const input = await decodeInputShare(vdaf, HELPER, helperShare);
  const pub = decodePublicShare(vdaf, bytes(publicShare));
  const mine = await vdaf.prepareInit(verifyKey, HELPER, null, nonceOf(id), pub, input);
  const theirs = decodePrepareShare(vdaf, bytes(leaderPrepareShare));
  const message = await vdaf.unshardPreparationShares(null, [theirs, mine.preparationShare]);
  const done = vdaf.prepareNext(mine.preparationState, message);
  if (!('outputShare' in done)) throw new Error('Prio3 has one round');
  return { output: b64(encodeVector(vdaf, done.outputShare)), message: b64(vdaf.encodePreparationMessage(message)) };
}

export function leaderFinish(vdaf: AnyPrio3, start: LeaderStart, message: string): string {
  const done = vdaf.prepareNext(start.state, decodePrepareMessage(vdaf, bytes(message)));
  if (!('outputShare' in done)) throw new Error('Prio3 has one round');
  return b64(encodeVector(vdaf, done.outputShare));
}

/**
 * The secret both aggregators share (VDAF verify key, 16 bytes), in a 0600 file each of them is given. The
 * leader authenticates to the helper with a token derived from it, so no third party can start jobs or collect.
 */
export interface SharedSecret {
  verifyKey: Buffer;
  token: string;
}

export async function readSharedSecret(path: string, create: boolean): Promise<SharedSecret> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw error;
    text = randomBytes(16).toString('base64url');
    const { dirname, basename } = await import('node:path');
    await writePrivateFile(dirname(path), basename(path), `${text}\n`);
  }
  const verifyKey = Buffer.from(text, 'base64url');
  if (verifyKey.length !== 16) throw new Error(`${path}: the Prio3 verify key must be 16 bytes, base64url`);
  const token = createHash('sha256').update('candor prio3 leader token').update(verifyKey).digest('base64url');
  return { verifyKey, token };
}

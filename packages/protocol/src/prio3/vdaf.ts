/**
 * Prio3 (VDAF draft 08, @divviup/prio3) with two aggregators: the circuits, and the wire encodings the library
 * writes but does not read back (input shares, public share, preparation shares, aggregate shares), decoded here
 * as the draft lays them out. Kept out of the package's main entry point so the SDK loads it only on demand.
 */

import { type Prio3, Prio3Count, Prio3Histogram, Prio3Sum, Prio3SumVec } from '@divviup/prio3';
// The bare name: Node's own module in Node, the npm `buffer` package in browser bundles, as in @divviup/prio3.
import { Buffer } from 'buffer';
import type { Prio3Kind } from './spec.js';

export { type Prio3Kind, type Prio3Value, prio3Kind, prio3Measurement } from './spec.js';

/** Leader is aggregator 0, helper 1. */
export const LEADER = 0;
export const HELPER = 1;
const SHARES = 2;

// biome-ignore lint/suspicious/noExplicitAny: the library's Prio3 generics differ per circuit; callers go through this module.
export type AnyPrio3 = Prio3<any, any>;
type Bytes = Uint8Array;

/** The circuit's sizes the decoders need; the library keeps its FLP public, its field behind it. */
type Shapes = AnyPrio3['flp'];

/** Chunk lengths for Histogram, as the draft recommends (about the square root of the length). */
function chunkLength(length: number): number {
  return Math.max(1, Math.floor(Math.sqrt(length)));
}

const cache = new Map<string, AnyPrio3>();

/** The Prio3 instance for a metric's kind (cached: building one precomputes its circuit). */
export function prio3For(kind: Prio3Kind): AnyPrio3 {
  const id = JSON.stringify(kind);
  let vdaf = cache.get(id);
  if (!vdaf) {
    vdaf =
      kind.type === 'count'
        ? new Prio3Count({ shares: SHARES })
        : kind.type === 'sum'
          ? new Prio3Sum({ shares: SHARES, bits: kind.bits })
          : kind.type === 'sumvec'
            ? new Prio3SumVec({
                shares: SHARES,
                length: kind.length,
                bits: kind.bits,
                chunkLength: chunkLength(kind.length * kind.bits),
              })
            : new Prio3Histogram({ shares: SHARES, length: kind.length, chunkLength: chunkLength(kind.length) });
    cache.set(id, vdaf);
  }
  return vdaf;
}

export interface EncodedShares {
  publicShare: Bytes;
  leaderShare: Bytes;
  helperShare: Bytes;
}

/** Splits one measurement into its public share and two input shares; `nonce` is the report id's 16 bytes. */
export async function shardMeasurement(
  kind: Prio3Kind,
  measurement: boolean | number | number[],
  nonce: Bytes,
): Promise<EncodedShares> {
  const vdaf = prio3For(kind);
  const rand = crypto.getRandomValues(new Uint8Array(vdaf.randSize));
  const { publicShare, inputShares } = await vdaf.shardEncoded(measurement, toBuffer(nonce), toBuffer(rand));
  return {
    publicShare: new Uint8Array(publicShare),
    leaderShare: new Uint8Array(inputShares[LEADER] as Bytes),
    helperShare: new Uint8Array(inputShares[HELPER] as Bytes),
  };
}

/** The library works on `buffer`'s Buffer (Node's own in Node, the npm package in browsers). */
function toBuffer(bytes: Bytes): Buffer {
  return Buffer.from(bytes);
}

/** The byte lengths of a report's shares for a circuit: what ingest checks before keeping them. */
export function shareSizes(vdaf: AnyPrio3): { public: number; leader: number } {
  const flp = vdaf.flp;
  const joint = usesJointRand(flp) ? seedSize(vdaf) : 0;
  return {
    public: joint * SHARES,
    leader: (flp.measurementLen + flp.proofLen * vdaf.proofs) * flp.field.encodedSize + joint,
  };
}

/** A byte string that does not decode: the message says which part and why. */
export class Prio3DecodeError extends Error {}

function seedSize(vdaf: AnyPrio3): number {
  return vdaf.xof.seedSize;
}

function usesJointRand(flp: Shapes): boolean {
  return flp.jointRandLen !== 0;
}

function fieldVector(flp: Shapes, bytes: Bytes, length: number, what: string): bigint[] {
  if (bytes.length !== length * flp.field.encodedSize) {
    throw new Prio3DecodeError(`${what}: ${bytes.length} bytes, expected ${length * flp.field.encodedSize}`);
  }
  const vector = flp.field.decode(bytes);
  for (const x of vector) if (x >= flp.field.modulus) throw new Prio3DecodeError(`${what}: element out of field`);
  return vector;
}

/** Usage numbers of the draft's domain separation tags (VDAF-08 section 7.2). */
const USAGE_MEASUREMENT_SHARE = 1;
const USAGE_PROOF_SHARE = 2;

/** Expands a helper's seed as the library's shard does (VDAF-08 Prio3 helper share). */
function expand(vdaf: AnyPrio3, usage: number, seed: Bytes, binder: Bytes, length: number): Promise<bigint[]> {
  return vdaf.xof.expandIntoVec(
    vdaf.flp.field,
    toBuffer(seed),
    vdaf.domainSeparationTag(usage),
    toBuffer(binder),
    length,
  );
}

export type InputShare = Parameters<AnyPrio3['prepareInit']>[5];
export type PublicShare = Parameters<AnyPrio3['prepareInit']>[4];

/** Decodes an input share: the leader's holds the vectors themselves, the helper's only the seeds they expand from. */
export async function decodeInputShare(vdaf: AnyPrio3, aggregatorId: number, bytes: Bytes): Promise<InputShare> {
  const flp = vdaf.flp;
  const seed = seedSize(vdaf);
  const blindLength = usesJointRand(flp) ? seed : 0;
  const proofsLength = flp.proofLen * vdaf.proofs;
  if (aggregatorId === LEADER) {
    const size = flp.field.encodedSize;
    const expected = (flp.measurementLen + proofsLength) * size + blindLength;
    if (bytes.length !== expected)
      throw new Prio3DecodeError(`leader share: ${bytes.length} bytes, expected ${expected}`);
    const wireMeasurementShare = bytes.subarray(0, flp.measurementLen * size);
    const wireProofShare = bytes.subarray(flp.measurementLen * size, (flp.measurementLen + proofsLength) * size);
    return {
      measurementShare: fieldVector(flp, wireMeasurementShare, flp.measurementLen, 'leader measurement share'),
      proofsShare: fieldVector(flp, wireProofShare, proofsLength, 'leader proof share'),
      wireMeasurementShare: toBuffer(wireMeasurementShare),
      wireProofShare: toBuffer(wireProofShare),
      blind: toBuffer(bytes.subarray(bytes.length - blindLength)),
    };
  }
  const expected = 2 * seed + blindLength;
  if (bytes.length !== expected)
    throw new Prio3DecodeError(`helper share: ${bytes.length} bytes, expected ${expected}`);
  const measurementSeed = bytes.subarray(0, seed);
  const proofSeed = bytes.subarray(seed, 2 * seed);
  return {
    measurementShare: await expand(
      vdaf,
      USAGE_MEASUREMENT_SHARE,
      measurementSeed,
      Uint8Array.of(aggregatorId),
      flp.measurementLen,
    ),
    proofsShare: await expand(
      vdaf,
      USAGE_PROOF_SHARE,
      proofSeed,
      Uint8Array.of(vdaf.proofs, aggregatorId),
      proofsLength,
    ),
    wireMeasurementShare: toBuffer(measurementSeed),
    wireProofShare: toBuffer(proofSeed),
    blind: toBuffer(bytes.subarray(2 * seed)),
  };
}

/** The public share: one joint randomness part per aggregator (empty for circuits without joint randomness). */
export function decodePublicShare(vdaf: AnyPrio3, bytes: Bytes): PublicShare {
  const part = usesJointRand(vdaf.flp) ? seedSize(vdaf) : 0;
  if (bytes.length !== part * SHARES)
    throw new Prio3DecodeError(`public share: ${bytes.length} bytes, expected ${part * SHARES}`);
  return { jointRandParts: part ? [toBuffer(bytes.subarray(0, part)), toBuffer(bytes.subarray(part))] : [] };
}

export type PrepareShare = Parameters<AnyPrio3['unshardPreparationShares']>[1][number];

export function decodePrepareShare(vdaf: AnyPrio3, bytes: Bytes): PrepareShare {
  const flp = vdaf.flp;
  const verifierLength = flp.verifierLen * vdaf.proofs;
  const part = usesJointRand(flp) ? seedSize(vdaf) : 0;
  const vectorBytes = verifierLength * flp.field.encodedSize;
  if (bytes.length !== vectorBytes + part)
    throw new Prio3DecodeError(`prepare share: ${bytes.length} bytes, expected ${vectorBytes + part}`);
  return {
    verifiersShare: fieldVector(flp, bytes.subarray(0, vectorBytes), verifierLength, 'prepare share'),
    jointRandomnessPart: toBuffer(bytes.subarray(vectorBytes)),
  };
}

export function decodePrepareMessage(vdaf: AnyPrio3, bytes: Bytes): { jointRand: Buffer } {
  const part = usesJointRand(vdaf.flp) ? seedSize(vdaf) : 0;
  if (bytes.length !== part) throw new Prio3DecodeError(`prepare message: ${bytes.length} bytes, expected ${part}`);
  return { jointRand: toBuffer(bytes) };
}

/** Output and aggregate shares: a vector of the circuit's output length. */
export function encodeVector(vdaf: AnyPrio3, vector: bigint[]): Uint8Array {
  return new Uint8Array(vdaf.flp.field.encode(vector));
}

export function decodeVector(vdaf: AnyPrio3, bytes: Bytes): bigint[] {
  return fieldVector(vdaf.flp, bytes, vdaf.flp.outputLen, 'aggregate share');
}

/** Adds integer noise to each entry of an aggregate share (mod p; a negative draw wraps, as the sum will). */
export function addNoise(vdaf: AnyPrio3, share: bigint[], noise: readonly number[]): bigint[] {
  const p = vdaf.flp.field.modulus;
  return share.map((x, i) => (((x + BigInt(noise[i] ?? 0)) % p) + p) % p);
}

/**
 * Sums the two aggregators' shares into the released vector. Entries above p / 2 are negative (noise can take a
 * small total below zero); the figures stay integers.
 */
export function unshardSigned(vdaf: AnyPrio3, shares: bigint[][]): number[] {
  const field = vdaf.flp.field;
  const sum = shares.reduce((acc, s) => field.vecAdd(acc, s), new Array<bigint>(vdaf.flp.outputLen).fill(0n));
  return sum.map((x) => Number(x > field.modulus / 2n ? x - field.modulus : x));
}

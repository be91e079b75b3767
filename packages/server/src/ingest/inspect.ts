import { PATHS, PROBLEM_UNKNOWN_KEY, type Registry, type Report } from '@candor/protocol';
import { structureProblem } from '../check/batch.js';
import { findStructureProblem, mayHoldForbiddenKey } from '../check/structure.js';
import { DedupeKeys } from '../dedupe/window.js';
import { PiiFirewall } from '../firewall/firewall.js';
import type { KeyRing } from '../keys/keyring.js';
import type { IngestLimits } from '../limits/limits.js';
import { openEnvelope } from '../open/envelope.js';
import { type Problem, problem } from '../problem.js';
import { createRegistryChecker, createShapeGate } from '../registry/check.js';
import { RegistrySet } from '../registry/set.js';
import { type PackedRows, RowPacker } from '../store/packed.js';
import type { DedupeKey } from '../store/types.js';

/** Milliseconds spent in each step of inspecting one upload. */
export interface StageTimes {
  open: number;
  parse: number;
  firewall: number;
  check: number;
  /** Dedupe keys and, when asked for, flattened rows. */
  prepare: number;
}

/** What the main thread needs of checked reports besides themselves: made here so any thread can make it. */
export interface Prepared {
  /** Each report's dedupe key, in upload order. */
  keys: DedupeKey[];
  /** The rows of all the upload's reports for the store, summed per cell, when the inspector flattens (`flatten`). */
  rows: PackedRows | null;
}

/** What inspecting a sealed body found: the checked reports, or the problem to answer with. */
export type Inspection =
  | {
      ok: true;
      /** The checked reports; empty when they were flattened in another thread (see `recheck`). */
      reports: Report[];
      prepared: Prepared;
      times: StageTimes;
      /** Inspects the same body again for its reports, at most once: set when `reports` was left empty. */
      recheck?: () => Promise<Inspection>;
    }
  | { ok: false; problem: Problem; times: StageTimes; firewallHits?: string[] };

export interface InspectorDeps {
  /** Every registry the collector serves; each report is checked against the one it names. */
  registries: Registry[];
  keys: Pick<KeyRing, 'recipientFor' | 'refreshIfStale'>;
  limits: IngestLimits;
  /** The clock for the accepted-day window. */
  now?: () => number;
  /** The secret dedupe keys are made with (dedupe/window.ts). */
  dedupeSecret: Uint8Array;
  /** Flatten reports into store rows here, for a sink that takes rows (see ReportSink.acceptRows). */
  flatten: boolean;
}

/**
 * The CPU-bound part of ingest, the same on the main thread and in the worker pool (ingest/pool.ts): open the
 * HPKE envelope (decompressing within the limit), parse, refuse `__proto__` keys, run the PII firewall (which
 * also refuses nesting deeper than any report), then the schema, day window and contribution bounds. Nothing here keeps state about an
 * upload, so any thread can inspect any upload.
 */
export function createInspector(
  deps: InspectorDeps,
): (body: Uint8Array, options?: { flatten: boolean }) => Promise<Inspection> {
  const registries = new RegistrySet(deps.registries);
  const firewall = new PiiFirewall(registries.vocabulary());
  const check = createRegistryChecker(registries, deps.now ? { now: deps.now } : {});
  const shapeOf = createShapeGate(registries);
  const max = deps.limits.maxPlaintextBytes;
  const dedupeKeys = new DedupeKeys(deps.dedupeSecret);
  const packed = (reports: readonly Report[]): PackedRows => {
    const packer = new RowPacker();
    for (const report of reports) packer.add(report, registries.checkedAgainst(report));
    return packer.done();
  };

  return async (body, options) => {
    const flatten = options?.flatten ?? deps.flatten;
    const times: StageTimes = { open: 0, parse: 0, firewall: 0, check: 0, prepare: 0 };
    const fail = (p: Problem, firewallHits?: string[]): Inspection => ({
      ok: false,
      problem: p,
      times,
      ...(firewallHits ? { firewallHits } : {}),
    });
    let t = performance.now();
    let opened = openEnvelope(body, (id) => deps.keys.recipientFor(id), max);
    if (!opened.ok && opened.failure.reason === 'unknown-key') {
      // The key may have been rotated by another process since the last read.
      await deps.keys.refreshIfStale();
      t = performance.now();
      opened = openEnvelope(body, (id) => deps.keys.recipientFor(id), max);
    }
    times.open = performance.now() - t;
    if (!opened.ok) {
      const f = opened.failure;
      switch (f.reason) {
        case 'unknown-key':
          return fail(
            problem(400, PROBLEM_UNKNOWN_KEY, 'Unknown or retired key id', {
              detail: `key id ${f.keyId} is not accepted; fetch ${PATHS.keys} again and seal to its first key`,
              field: 'key_id',
              keys: PATHS.keys,
            }),
          );
        case 'too-large':
          return fail(
            problem(413, 'too-large', 'Upload too large once decompressed', { detail: f.detail, field: 'body' }),
          );
        case 'unsupported-suite':
          return fail(
            problem(400, 'unsupported-suite', 'Unsupported HPKE suite', { detail: f.detail, field: 'header' }),
          );
        case 'decrypt-failed':
          return fail(
            problem(400, 'undecryptable', 'The envelope does not open', { detail: f.detail, field: 'ciphertext' }),
          );
        case 'malformed':
          return fail(problem(400, 'malformed', 'Malformed envelope', { detail: f.detail, field: 'body' }));
      }
    }

    t = performance.now();
    const text = opened.plaintext.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return fail(problem(400, 'malformed', 'The opened upload is not JSON', { field: 'body' }));
    }
    if (mayHoldForbiddenKey(text)) {
      const found = findStructureProblem(parsed);
      if (found) return fail(structureProblem(found));
    }
    const reports = (parsed as { reports?: unknown } | null)?.reports;
    if (Array.isArray(reports) && reports.length > deps.limits.maxReportsPerBatch) {
      return fail(
        problem(413, 'too-many-reports', 'Too many reports in one upload', {
          detail: `at most ${deps.limits.maxReportsPerBatch} reports per upload`,
          metric: '(batch)',
          field: 'reports',
        }),
      );
    }
    times.parse = performance.now() - t;

    t = performance.now();
    // The shape check reads only the schema's structure; the firewall's is then the first walk of anything else,
    // and it refuses nesting deeper than any report, so no later walk can be made to recurse without bound.
    const shaped = shapeOf(parsed);
    const shapeMs = performance.now() - t;
    t = performance.now();
    const hit = firewall.scan(parsed, shaped);
    times.firewall = performance.now() - t;
    if (hit && 'tooDeep' in hit) return fail(structureProblem({ problem: 'too-deep', path: 'body' }));
    if (hit) {
      return fail(
        problem(422, 'personal-data', 'The upload carries personal data', {
          detail: `${hit.metric}${hit.field ? ` ${hit.field}` : ''}: looks like ${hit.detector}; nothing of this upload was kept`,
          metric: hit.metric,
          field: hit.field,
          detector: hit.detector,
        }),
        hit.detectors,
      );
    }

    t = performance.now();
    const checked = check(parsed, { structureChecked: true, shaped });
    times.check = shapeMs + performance.now() - t;
    if (!checked.ok) return fail(checked.problem);

    t = performance.now();
    const checkedReports = checked.batch.reports;
    const keys = dedupeKeys.of(checkedReports.map((r) => r.id));
    const prepared: Prepared = {
      keys: checkedReports.map((r, i) => ({ key: keys[i] as string, day: r.day })),
      rows: flatten ? packed(checkedReports) : null,
    };
    times.prepare = performance.now() - t;
    return { ok: true, reports: checkedReports, prepared, times };
  };
}

/**
 * Secret sharing at send time: each value of a metric the registry marks `prio3` is split into two Prio3 input
 * shares (VDAF draft 08). The leader's share travels in the batch sealed to the collector (the leader); the
 * helper's is sealed here to the helper's own key, bound to its report id and metric, so the leader forwards it
 * unread. Without a helper key the value is not sent at all: it is never sent in the clear. In browsers this
 * module is part of the on-demand send chunk.
 */
import type { Registry, Report } from '@candor/protocol';
import { type Prio3Value, prio3Kind, prio3Measurement, shardMeasurement } from '@candor/protocol/prio3';
import type { KeyConfig } from '@candor/protocol/wire/envelope';
import { sealBatchJson } from '../seal/envelope.js';

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The names of a report's metrics that leave the device only as shares (or not at all). */
export function secretSharedNames(report: Report, registry: Registry): string[] {
  return Object.keys(report.metrics).filter((name) => registry.metrics[name]?.prio3);
}

export async function shareReport(
  report: Report,
  registry: Registry,
  helper: KeyConfig | null,
  random: () => number,
): Promise<Report> {
  const names = secretSharedNames(report, registry);
  if (!names.length) return report;
  const metrics: Record<string, unknown> = { ...report.metrics };
  for (const name of names) {
    const def = registry.metrics[name];
    delete metrics[name];
    if (!def || !helper) continue;
    const measurement = prio3Measurement(def, report.metrics[name], random);
    const shares = await shardMeasurement(prio3Kind(def), measurement, hexBytes(report.id));
    const sealed = await sealBatchJson(
      JSON.stringify({ id: report.id, metric: name, share: base64url(shares.helperShare) }),
      helper,
    );
    const value: Prio3Value = {
      public: base64url(shares.publicShare),
      leader: base64url(shares.leaderShare),
      helper: base64url(sealed),
    };
    metrics[name] = value;
  }
  return { ...report, metrics };
}

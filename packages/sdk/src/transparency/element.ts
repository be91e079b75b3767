/**
 * <candor-transparency-log>: a drop-in element that shows a person, in plain words, what this app sent: one
 * entry per daily report with its final state, each value named by the registry's description and unit
 * ("Searches made, by search engine: google 2"), days rather than times, and what is never sent. The exact data
 * is one click away under each report.
 *
 *   import { defineTransparencyLogElement } from '@candor/sdk';   // in browsers: /candor-transparency.min.js
 *   defineTransparencyLogElement(candor);            // then <candor-transparency-log></candor-transparency-log>
 *
 * It reads the stored log once the SDK has loaded it (so it is right after a reload) and follows every change,
 * in this tab and others. It renders with textContent only (no HTML from data) inside a shadow root, so it
 * cannot be styled into hiding anything and report content can never inject markup. It is its own browser
 * entry, so pages that do not show it do not load it.
 */
import type { MetricDefinition, Registry, Report } from '@candor/protocol';
import type { TransparencyEntry } from './log.js';

export const TRANSPARENCY_LOG_TAG = 'candor-transparency-log';

export interface TransparencyLogSource {
  readonly ready: Promise<void>;
  readonly registry: Registry;
  transparencyLog(): TransparencyEntry[];
  onTransparencyLog(listener: (log: TransparencyEntry[]) => void): () => void;
}

const STYLE =
  ':host{display:block;font:14px system-ui,sans-serif}h2{font-size:1.1em;margin:0 0 .5em}ol{list-style:none;padding:0;margin:0}ol>li{border:1px solid #ccc;border-radius:6px;padding:.5em;margin:.5em 0}ul{margin:.3em 0;padding-left:1.2em}p{margin:.3em 0}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}';

const STATUS: Record<TransparencyEntry['status'], string> = {
  accepted: 'delivered',
  retrying: 'not delivered yet; it will be sent again',
  rejected: 'refused by the collector; it will not be sent again',
  dropped: 'withdrawn when data sharing was turned off',
  late: 'not sent: the app was next used too late for this day to be counted, so it was deleted here',
};

export const NEVER_SENT = [
  'your IP address, your name or any identifier of you, this device or this install',
  'the addresses of pages: at most a site’s domain, such as example.com',
  'search words, page contents or anything you typed',
  'anything done in private mode',
  'the time of day: each report names only the day',
];

const UNITS: Record<string, string> = { ms: ' ms', kilobytes: ' kB', pixels: ' px', percent: '%' };

const day = (iso: string) =>
  new Date(`${iso.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, { dateStyle: 'long', timeZone: 'UTC' });

interface Spread {
  sum: number;
  count: number;
}

/** One value in words, e.g. "google 2, bing 1" or "3 times, on average 250 ms". */
export function describeValue(def: MetricDefinition | undefined, value: unknown): string {
  const unit = UNITS[def?.unit ?? ''] ?? '';
  const spread = (d: Spread) =>
    `${d.count} time${d.count === 1 ? '' : 's'}, on average ${Math.round(d.sum / d.count)}${unit}`;
  const words = (v: unknown) => String(v).replace(/_/g, ' ');
  switch (def?.type) {
    case 'boolean':
      return value ? 'yes' : 'no';
    case 'labeled_counter':
      return Object.entries(value as Record<string, number>)
        .sort((a, b) => b[1] - a[1])
        .map(([label, n]) => `${words(label)} ${n}`)
        .join(', ');
    case 'timing_distribution':
    case 'memory_distribution':
      return spread(value as Spread);
    case 'site':
      return Object.entries(value as Record<string, Spread>)
        .map(([site, d]) => `${site}: ${spread(d)}`)
        .join('; ');
    case 'event':
      return `${(value as unknown[]).length} time${(value as unknown[]).length === 1 ? '' : 's'}`;
    case 'crash':
      return (value as { type: string; count: number }[]).map((c) => `${c.count} × ${c.type}`).join(', ');
    default:
      return `${words(value)}${typeof value === 'number' ? unit : ''}`;
  }
}

/** The metric's description, first sentence, as the name a person reads. */
function label(name: string, def: MetricDefinition | undefined): string {
  return def ? (def.description.split(/\.(\s|$)/)[0] ?? name) : name;
}

function device(report: Report): string {
  const s = report.system;
  return [
    s.osMajor ? `${s.os} ${s.osMajor}` : s.os,
    s.modelFamily === 'other' ? '' : s.modelFamily,
    `language ${s.language}`,
    `app version ${report.appVersion}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The activity section in words: four counts about that day, never the days themselves. */
function activityWords(a: NonNullable<Report['activity']>): string {
  const previous = a.sincePrevious ? `${a.sincePrevious} days since the previous use` : 'no use in the 28 days before';
  const weeks = a.weeksSinceFirstUse === 13 ? '13 or more' : String(a.weeksSinceFirstUse);
  return `How often the app was used: ${previous}, used on ${a.activeDays7} of the last 7 days and ${a.activeDays28} of the last 28, ${weeks} weeks since first use.`;
}

export function defineTransparencyLogElement(source: TransparencyLogSource, tag = TRANSPARENCY_LOG_TAG): void {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  customElements.define(
    tag,
    class extends HTMLElement {
      private unsubscribe: (() => void) | null = null;
      connectedCallback() {
        if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
        this.render(null);
        this.unsubscribe = source.onTransparencyLog((log) => this.render(log));
        // The stored log is read when the SDK loads: wait for it, so a reload shows what was sent before.
        void source.ready.then(() => this.render(source.transparencyLog()));
      }
      disconnectedCallback() {
        this.unsubscribe?.();
      }
      private render(log: TransparencyEntry[] | null) {
        const root = this.shadowRoot;
        if (!root) return;
        const el = (name: string, text?: string, ...children: Node[]) => {
          const node = document.createElement(name);
          if (text !== undefined) node.textContent = text;
          node.append(...children);
          return node;
        };
        const list = el('ol');
        for (const entry of [...(log ?? [])].reverse()) {
          const { report } = entry;
          const values = el('ul');
          for (const [name, value] of Object.entries(report.metrics)) {
            const def = source.registry.metrics[name];
            const randomized = def?.ldp
              ? ' (randomized on this device before sending)'
              : def?.prio3
                ? ' (kept here as your record; only two random shares of it left, one for each aggregator)'
                : '';
            values.append(el('li', `${label(name, def)}: ${describeValue(def, value)}${randomized}`));
          }
          if (report.activity) values.append(el('li', activityWords(report.activity)));
          if (!values.childElementCount) values.append(el('li', 'That the app was used that day; no other values.'));
          const item = el(
            'li',
            undefined,
            el('strong', `Use on ${day(report.day)}: ${STATUS[entry.status]}`),
            el('p', `Sent to ${new URL(entry.collector).host} on ${day(entry.sentAt)}. Device: ${device(report)}.`),
            values,
            el('details', undefined, el('summary', 'Exact data sent'), el('pre', JSON.stringify(report, null, 2))),
          );
          item.dataset.status = entry.status;
          list.append(item);
        }
        if (log && !log.length) list.append(el('li', 'Nothing has been sent.'));
        const never = el('ul');
        for (const line of NEVER_SENT) never.append(el('li', line));
        root.replaceChildren(
          el('style', STYLE),
          el('h2', log ? `What this app sent (${log.length} report${log.length === 1 ? '' : 's'})` : 'Loading…'),
          list,
          el('h2', 'What is never sent'),
          never,
        );
      }
    },
  );
}

/**
 * <candor-transparency-log>: a drop-in element that shows a person what this app sent ("what this app sent"),
 * newest first, each report decoded as readable JSON with when it went, where, and what the collector said.
 *
 *   import { defineTransparencyLogElement } from '@candor/sdk';
 *   defineTransparencyLogElement(candor);            // then <candor-transparency-log></candor-transparency-log>
 *
 * It renders with textContent only (no HTML from data) inside a shadow root, so it cannot be styled into
 * hiding anything and report content can never inject markup.
 */
import type { TransparencyEntry } from './log.js';

export const TRANSPARENCY_LOG_TAG = 'candor-transparency-log';

interface LogSource {
  transparencyLog(): TransparencyEntry[];
  onTransparencyLog(listener: (log: TransparencyEntry[]) => void): () => void;
}

const STYLE =
  ':host{display:block;font:14px system-ui,sans-serif}h2{font-size:1.1em;margin:0 0 .5em}ol{list-style:none;padding:0;margin:0}li{border:1px solid #ccc;border-radius:6px;padding:.5em;margin:.5em 0}pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.4em 0 0;font-size:12px}';

export function defineTransparencyLogElement(source: LogSource, tag = TRANSPARENCY_LOG_TAG): void {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  customElements.define(
    tag,
    class extends HTMLElement {
      private unsubscribe: (() => void) | null = null;
      connectedCallback() {
        if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
        this.render(source.transparencyLog());
        this.unsubscribe = source.onTransparencyLog((log) => this.render(log));
      }
      disconnectedCallback() {
        this.unsubscribe?.();
      }
      private render(log: TransparencyEntry[]) {
        const root = this.shadowRoot;
        if (!root) return;
        const el = (name: string, text?: string) => {
          const node = document.createElement(name);
          if (text !== undefined) node.textContent = text;
          return node;
        };
        const style = el('style', STYLE);
        const title = el('h2', `What this app sent (${log.length} report${log.length === 1 ? '' : 's'})`);
        const list = el('ol');
        for (const entry of [...log].reverse()) {
          const item = el('li');
          item.dataset.status = entry.status;
          item.append(
            el(
              'strong',
              `${new Date(entry.sentAt).toLocaleString()} — ${entry.report.kind} report to ${entry.collector} — ${entry.status}${entry.httpStatus ? ` (${entry.httpStatus})` : ''}`,
            ),
            el('pre', JSON.stringify(entry.report, null, 2)),
          );
          list.append(item);
        }
        if (!log.length) list.append(el('li', 'Nothing has been sent.'));
        root.replaceChildren(style, title, list);
      }
    },
  );
}

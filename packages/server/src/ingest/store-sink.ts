import type { Report } from '@candor/protocol';
import type { RegistrySet } from '../registry/set.js';
import { type PackedRows, unpackRows } from '../store/packed.js';
import { flattenReport } from '../store/rows.js';
import type { DedupeKey, ReportSink, ReportStore } from '../store/types.js';

/** The default sink: flatten reports and append them to the store; resolves once the store has them. */
export class StoreSink implements ReportSink {
  constructor(
    private readonly store: ReportStore,
    private readonly registries: RegistrySet,
  ) {}

  /** Dedupe keys go to the store with the rows, so a store that keeps them writes both in one transaction. */
  async accept(reports: Report[], dedupe?: readonly DedupeKey[]): Promise<void> {
    const rows = [];
    for (const report of reports) {
      // Each report is flattened by the registry version it was checked against.
      rows.push(...flattenReport(report, this.registries.checkedAgainst(report)));
    }
    await this.store.append(rows, dedupe);
  }

  acceptRows(rows: PackedRows, dedupe?: readonly DedupeKey[]): Promise<void> {
    return this.store.appendPacked
      ? this.store.appendPacked(rows, dedupe)
      : this.store.append(unpackRows(rows), dedupe);
  }

  async close(): Promise<void> {}
}

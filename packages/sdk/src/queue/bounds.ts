import type { Report } from '@candor/protocol';

/**
 * Drops the oldest reports until the queue is within its count and byte bounds (bytes as JSON text). Returns the
 * kept reports and how many were dropped, so the caller can count them.
 */
export function trimQueue(
  reports: Report[],
  maxReports: number,
  maxBytes: number,
): { reports: Report[]; dropped: number } {
  let bytes = 0;
  const sizes = reports.map((r) => {
    const size = JSON.stringify(r).length;
    bytes += size;
    return size;
  });
  let dropped = 0;
  while (dropped < reports.length && (reports.length - dropped > maxReports || bytes > maxBytes)) {
    bytes -= sizes[dropped] ?? 0;
    dropped++;
  }
  return { reports: dropped ? reports.slice(dropped) : reports, dropped };
}

import { type Report, ReportSchema } from '@candor/protocol';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A queued report is its JSON; the collector already opened, checked and firewall-checked it. */
export function encodeReport(report: Report): Uint8Array {
  return encoder.encode(JSON.stringify(report));
}

/** Reads a queued report back, checking its shape so a corrupt message is named rather than stored. */
export function decodeReport(data: Uint8Array): Report {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    throw new Error('queued message is not JSON');
  }
  const parsed = ReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`queued message is not a report: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

// RFC 9457 problems: how every part of the collector (ingest, checks, queries) says what was wrong. Plain data,
// so no part needs the HTTP layer to describe a failure; http/ turns a Problem into a response.

/** Base of candor's problem type URIs (RFC 9457). The unknown-key type lives in @candor/protocol. */
export const PROBLEM_BASE = 'https://candor.dev/problems/';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem. `metric` and `field` say which part of a report was wrong; values are never echoed. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  metric?: string;
  field?: string;
  /** Further issues of the same kind, each naming its metric and field. */
  errors?: { metric: string; field: string; message: string }[];
  /** The PII detector that fired, e.g. "contact/email" (never the value). */
  detector?: string;
  /** Unknown key: where to fetch the current key configs. */
  keys?: string;
}

export function problem(status: number, slug: string, title: string, extra: Partial<Problem> = {}): Problem {
  return { type: slug.startsWith('https://') ? slug : PROBLEM_BASE + slug, title, status, ...extra };
}

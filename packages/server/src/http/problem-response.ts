import type { Context } from 'hono';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../problem.js';

/** Answers with an RFC 9457 problem as application/problem+json. */
export function problemResponse(c: Context, p: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(p), p.status as 400, { 'content-type': PROBLEM_CONTENT_TYPE, ...headers });
}

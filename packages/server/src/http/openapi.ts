import {
  ActivityResultSchema,
  DIMENSIONS,
  PATHS,
  PROBLEM_UNKNOWN_KEY,
  type Registry,
  SEALED_CONTENT_TYPE,
} from '@candor/protocol';
import { z } from 'zod';
import { PROBLEM_BASE } from '../problem.js';
import { DAILY_ACTIVITY_METRIC } from '../store/rows.js';

/** The activity answer's JSON Schema, from the zod schema in @candor/protocol (its one home). */
function activityResultSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(ActivityResultSchema);
  return schema;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

/** The OpenAPI 3.1 description of the collector served at GET /v1/openapi.json. */
/** Reads are about one app; the metric list above is the default app's. */
const appParameter = {
  name: 'app',
  in: 'query',
  schema: { type: 'string' },
  description: 'the app (GET /v1/apps); default: the first registry the collector was given',
};

export function openApiDocument(registry: Registry, version = '0.1.0'): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'candor collector',
      version,
      description:
        'Receives HPKE-sealed telemetry reports and answers privacy-safe aggregate queries. No client identifier exists; ' +
        'no address or user agent is stored or logged. Every released query cell comes from at least k reports.',
    },
    paths: {
      [PATHS.keys]: {
        get: {
          summary: 'HPKE key configs, newest first; seal to the first',
          responses: {
            200: {
              description: 'key configs',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/KeyConfigList' } } },
            },
          },
        },
      },
      [PATHS.reports]: {
        post: {
          summary: 'Upload one sealed batch of reports',
          description: `Body: header (7 bytes) || enc (32) || HPKE ciphertext of gzip(JSON ReportBatch). Problem type for an unknown key id: ${PROBLEM_UNKNOWN_KEY}.`,
          requestBody: {
            required: true,
            content: { [SEALED_CONTENT_TYPE]: { schema: { type: 'string', format: 'binary' } } },
          },
          responses: {
            202: {
              description: 'stored (duplicates of reports already seen count once)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' } },
                    required: ['accepted', 'duplicates'],
                  },
                },
              },
            },
            400: problemResponse(
              `malformed, undecryptable, or unknown key id (${PROBLEM_UNKNOWN_KEY}: refetch ${PATHS.keys})`,
            ),
            413: problemResponse('body, decompressed body or report count too large'),
            415: problemResponse(`content type is not ${SEALED_CONTENT_TYPE}`),
            422: problemResponse(
              `invalid against the registry (${PROBLEM_BASE}invalid-value) or carrying personal data (${PROBLEM_BASE}personal-data)`,
            ),
            429: {
              ...problemResponse('rate limited; see Retry-After'),
              headers: { 'Retry-After': { schema: { type: 'integer' } } },
            },
            503: problemResponse('storage unavailable; nothing stored, retry'),
          },
        },
      },
      [PATHS.query]: {
        get: {
          summary: 'Aggregates of one metric per day or dimension',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'metric',
              in: 'query',
              required: true,
              schema: { type: 'string', enum: [...Object.keys(registry.metrics), DAILY_ACTIVITY_METRIC] },
              description: `a registry metric, or ${DAILY_ACTIVITY_METRIC} for daily active installs (counted without ids)`,
            },
            { name: 'by', in: 'query', schema: { type: 'string', enum: [...DIMENSIONS], default: 'day' } },
            {
              name: 'from',
              in: 'query',
              schema: { type: 'string', format: 'date' },
              description: 'inclusive; default 29 days before `to`',
            },
            {
              name: 'to',
              in: 'query',
              schema: { type: 'string', format: 'date' },
              description: 'inclusive; default the last released day (days still open are never in an answer)',
            },
            appParameter,
          ],
          responses: {
            200: {
              description: 'QueryResult (see @candor/protocol query/types.ts)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/QueryResult' } } },
            },
            400: problemResponse('unknown metric or invalid parameters'),
            401: problemResponse('missing or invalid token'),
            404: problemResponse('the collector serves no such app'),
          },
        },
      },
      [PATHS.activity]: {
        get: {
          summary: 'Active devices per day, week and month, stickiness and retention by first-use cohort',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'from',
              in: 'query',
              schema: { type: 'string', format: 'date' },
              description: 'inclusive; default 29 days before `to`',
            },
            {
              name: 'to',
              in: 'query',
              schema: { type: 'string', format: 'date' },
              description: 'inclusive; default the last released day',
            },
            appParameter,
          ],
          responses: {
            200: {
              description: 'ActivityResult (see @candor/protocol query/activity.ts)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ActivityResult' } } },
            },
            400: problemResponse('invalid parameters'),
            401: problemResponse('missing or invalid token'),
            404: problemResponse('the collector serves no such app'),
          },
        },
      },
      [PATHS.privacy]: {
        get: {
          summary:
            'epsilon and delta per device-day, how each day is split over releases, local DP, firewall rejections',
          security: [{ bearer: [] }],
          parameters: [appParameter],
          responses: {
            200: { description: 'PrivacyStatus (see @candor/protocol query/types.ts)' },
            401: problemResponse('missing or invalid token'),
          },
        },
      },
      [PATHS.registry]: {
        get: {
          summary: 'The public data dictionary: every metric, why it exists and how it is protected',
          parameters: [appParameter],
          responses: {
            200: {
              description: 'DictionaryEntry[]; the app and its registry version in candor-app, candor-registry-version',
            },
            404: problemResponse('the collector serves no such app'),
          },
        },
      },
      [PATHS.apps]: {
        get: {
          summary: 'The apps this collector serves and their loaded registry versions; the first is the default app',
          responses: { 200: { description: '{ app, versions: string[] }[]' } },
        },
      },
      [PATHS.openapi]: { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a query token from `candor keys token create`' },
      },
      schemas: {
        ActivityResult: activityResultSchema(),
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details; metric and field name what was wrong, never its value',
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            metric: { type: 'string' },
            field: { type: 'string' },
            detector: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { metric: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
          required: ['type', 'title', 'status'],
        },
        KeyConfigList: {
          type: 'object',
          properties: {
            keys: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' },
                  kem: { type: 'integer' },
                  kdf: { type: 'integer' },
                  aead: { type: 'integer' },
                  publicKey: { type: 'string', description: 'raw X25519, base64url' },
                },
                required: ['id', 'kem', 'kdf', 'aead', 'publicKey'],
              },
            },
          },
        },
        Interval: {
          type: 'array',
          description: 'low and high of an interval holding the true value with about 95% probability',
          items: { type: 'number' },
          minItems: 2,
          maxItems: 2,
        },
        QueryResult: {
          type: 'object',
          properties: {
            metric: { type: 'string' },
            type: { type: 'string' },
            unit: { type: 'string' },
            by: { type: 'string', enum: [...DIMENSIONS] },
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            releasedThrough: { type: 'string', format: 'date' },
            days: { type: 'integer', description: 'released days summed in this answer' },
            totalReports: { type: ['integer', 'null'] },
            totalReportsInterval: { $ref: '#/components/schemas/Interval' },
            privacy: {
              type: 'object',
              properties: {
                epsilon: { type: 'number' },
                delta: { type: 'number' },
                groupingEpsilon: { type: 'number' },
                threshold: { type: ['integer', 'null'] },
                confidence: { type: 'number' },
              },
            },
            localDp: { type: 'boolean' },
            cells: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  key: { type: 'string' },
                  reports: { type: 'integer' },
                  reportsInterval: { $ref: '#/components/schemas/Interval' },
                  sum: { type: 'number' },
                  sumInterval: { $ref: '#/components/schemas/Interval' },
                  p50: { type: 'number' },
                  p75: { type: 'number' },
                  p95: { type: 'number' },
                  p99: { type: 'number' },
                  p50Interval: { $ref: '#/components/schemas/Interval' },
                  p75Interval: { $ref: '#/components/schemas/Interval' },
                  p95Interval: { $ref: '#/components/schemas/Interval' },
                  p99Interval: { $ref: '#/components/schemas/Interval' },
                  share: { type: 'number' },
                  shareInterval: { $ref: '#/components/schemas/Interval' },
                  standardError: { type: 'number' },
                  label: { type: 'string' },
                },
                required: ['key'],
              },
            },
          },
        },
      },
    },
  };
}

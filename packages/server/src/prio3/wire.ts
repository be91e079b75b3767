import { z } from 'zod';

/**
 * The leader-helper exchange, after DAP draft 09 (aggregation job init, aggregate share request) in JSON with
 * base64url bytes instead of TLS-syntax binary; see docs/privacy.md for where it differs.
 */
export const PRIO3_PATHS = {
  aggregate: '/v1/prio3/aggregate',
  collect: '/v1/prio3/collect',
} as const;

const text = z.string().max(16_384);
const id = z.string().regex(/^[0-9a-f]{32}$/);

export const AggregateRequestSchema = z.strictObject({
  job: z.string().regex(/^[0-9a-f]{32}$/),
  items: z
    .array(
      z.strictObject({
        id,
        app: text,
        registry: text,
        metric: text,
        day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
        public: z.string().max(1024),
        /** The helper's input share, still sealed to the helper: the leader cannot read it. */
        helper: text,
        /** The leader's preparation share. */
        prepare: text,
      }),
    )
    .max(1000),
});
export type AggregateRequest = z.infer<typeof AggregateRequestSchema>;

export type AggregateItemResult =
  | { id: string; metric: string; ok: true; message: string }
  | { id: string; metric: string; ok: false; reason: string };
export interface AggregateResponse {
  items: AggregateItemResult[];
}

export const CollectRequestSchema = z.strictObject({
  app: text,
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  metric: text,
  /** How many output shares the leader aggregated: the helper's must be the same batch. */
  count: z.number().int().nonnegative(),
  /** XOR of the SHA-256 of those reports' ids (DAP's checksum): the same count of other reports is no batch. */
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CollectRequest = z.infer<typeof CollectRequestSchema>;

export interface CollectResponse {
  /** The helper's aggregate share with its own noise added. */
  share: string;
}

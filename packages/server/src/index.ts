export { DAILY_ACTIVITY_METRIC, flattenReport } from './store/rows.js';
export type * from './store/types.js';

export type { Category, Detection, Severity } from './detect/index.js';
export { CATEGORIES, CATEGORY_SEVERITY, detectPersonalData, SEVERITIES } from './detect/index.js';

export { isCookieIdentifier, isIdentifierCandidate, namesSharedValue } from './candidates.js';
export { linkedFindings } from './findings.js';
export { type LinkedValue, LinkTracker, type Occurrence } from './tracker.js';

export { type RunningWriter, startWriter, type WriterLog, type WriterOptions, type WriterStats } from './writer.js';

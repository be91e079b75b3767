// Prio3 with two aggregators, kept out of the main entry point so the SDK loads it only on demand.
export * from './prio3/vdaf.js';

import { candorBrowserRegistry, MAX_REPORTS_PER_BATCH, parseDay, type Registry } from '@candor/protocol';
import { createCandor } from '@candor/sdk';
import { type ActivityTally, emptyTally, type PhoneProfile, randomProfile, SimulatedPhone } from './device.js';
import { type Lifecycle, type LifecycleShape, randomLifecycle, usesOn } from './lifecycle.js';
import { seededRandom } from './random.js';
import { type ActivityTruth, activityTruth } from './truth.js';

export interface FleetOptions {
  /** Collector base URL, e.g. http://127.0.0.1:8080 */
  target: string;
  devices: number;
  /** Minutes of use each phone simulates per day. */
  minutes: number;
  /** Days of use to simulate, ending today (UTC). */
  days?: number;
  /**
   * Phones arrive over the days and leave, each used daily, weekly or rarely (`lifecycle.ts`). Without it every
   * phone is used on every day.
   */
  lifecycle?: boolean;
  /** How the phones arrive and use the app, with `lifecycle` (default: the steady app). */
  shape?: LifecycleShape;
  seed?: number;
  /** Phones uploading at once. */
  concurrency?: number;
  registry?: Registry;
  /** The Prio3 helper's base URL, for the registry's secret-shared metrics (without it they are not sent). */
  prio3Helper?: string;
  /** The fetch the phones' SDKs use; wrap it to record traffic. */
  fetch?: typeof fetch;
  /** Today, as the fleet sees it (ms since epoch). */
  now?: number;
  onProgress?: (progress: FleetProgress) => void;
  /**
   * Called as each simulated day starts, with its start (ms since epoch): a collector whose clock follows it
   * receives each day's reports on their own day, as real phones would send them.
   */
  onDay?: (dayStart: number) => void;
  signal?: AbortSignal;
  /**
   * Read the delivered truth exactly: each phone's transparency log, which it is read from, holds a whole upload's
   * entries (MAX_REPORTS_PER_BATCH) rather than 4. With 4, an upload of more reports (a backlog after refused
   * sends) drops the oldest from the truth; with a whole upload's, the demo's simulation took about half as long
   * again, as the log is stored with the queue and rewritten at every storage update. Default false.
   */
  exactTruth?: boolean;
}

export interface FleetProgress {
  day: number;
  days: number;
  phonesDone: number;
  phones: number;
  uploadsAccepted: number;
}

export interface FleetResult {
  phones: number;
  consenting: number;
  uploadsAccepted: number;
  uploadsRejected: number;
  /**
   * Reports the phones' SDKs dropped unsent because their day was already outside the collector's accepted window
   * when the phone was next used (each is a `late` entry in that phone's transparency log).
   */
  reportsLate: number;
  /** What the simulated people did, summed over the fleet. */
  activity: ActivityTally;
  /** What the people who consented did outside private mode: exactly what the collector may learn of. */
  reportableActivity: ActivityTally;
  /** Samples the SDKs dropped, by reason (should stay empty for a correct simulator). */
  sdkErrors: Record<string, number>;
  /** Which days each consenting phone was used, summed up: daily, weekly, monthly active phones and cohorts. */
  truth: ActivityTruth;
  /**
   * The same, as far as the collector can know it: a day's report leaves at the phone's next use, so a phone next
   * used after the day's accepted window (REPORT_DAYS_LATE) has passed loses that day's report (its SDK drops it
   * unsent, `reportsLate`).
   */
  deliveredTruth: ActivityTruth;
}

const DAY_MS = 86_400_000;

/**
 * Runs a fleet of simulated phones through the real SDK against a collector: each phone lives `days` days and
 * is used `minutes` minutes a day, then uploads that day's report. Clocks are simulated, so a week of use for
 * hundreds of phones takes seconds; uploads are real HTTP requests.
 */
export async function simulateFleet(options: FleetOptions): Promise<FleetResult> {
  const fleet = createFleet(options);
  await fleet.run();
  return fleet.finish();
}

export interface Fleet {
  /** Runs the `days` of use the fleet was created for. */
  run(): Promise<void>;
  /**
   * `count` random phones of the same fleet each use the app `minutes` minutes now, then flush. Use is folded into
   * each phone's report for today, sent once the day has ended; returns the uploads the flushes made.
   */
  wave(count: number, minutes: number): Promise<number>;
  /**
   * Ends each phone's last simulated day (so its report is sent), shuts every SDK down and sums up. With `now`
   * (ms), no phone's clock is set before it: a fleet that has gone live ends in real time, so a phone last used
   * days ago logs that report as late instead of sending it to be refused.
   */
  finish(now?: number): Promise<FleetResult>;
}

/** The fleet behind `simulateFleet`, kept alive so later waves come from the same phones (and installs). */
export function createFleet(options: FleetOptions): Fleet {
  const registry = options.registry ?? candorBrowserRegistry;
  const days = options.days ?? 1;
  const random = seededRandom(options.seed ?? Date.now());
  const today = Math.floor((options.now ?? Date.now()) / DAY_MS) * DAY_MS;
  const firstDay = today - (days - 1) * DAY_MS;
  const baseFetch = options.fetch ?? fetch;
  let uploadsAccepted = 0;
  let uploadsRejected = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init);
    if (init?.method === 'POST') {
      if (response.ok) uploadsAccepted++;
      else uploadsRejected++;
    }
    return response;
  };

  interface Entry {
    profile: PhoneProfile;
    clock: { now: number };
    lifecycle: Lifecycle;
    /** Its own generator, so whether it is used on a day does not depend on the order phones run in. */
    random: () => number;
    /** Created at first use: an SDK created earlier would hold a report for a day the app was not used. */
    phone?: SimulatedPhone;
    /** UTC day numbers the app was used on. */
    usedOn: number[];
    /**
     * Days whose report the collector accepted, as the SDK's transparency log says: a report answered 5xx, or lost
     * to a timeout, and accepted on a later try counts on its own day.
     */
    delivered: Set<number>;
    /** Ids of the reports its SDK dropped unsent as too late. */
    late: Set<string>;
  }
  const everyDay: Lifecycle = { arrivalDay: 0, habit: 'daily', useChance: 1, churnDay: Number.POSITIVE_INFINITY };
  const phones: Entry[] = Array.from({ length: options.devices }, () => {
    const profile = randomProfile(random);
    const own = seededRandom(Math.floor(random() * 2 ** 32));
    const lifecycle = options.lifecycle ? randomLifecycle(own, days, options.shape) : everyDay;
    const clock = { now: firstDay + lifecycle.arrivalDay * DAY_MS };
    return {
      profile,
      clock,
      lifecycle,
      random: own,
      usedOn: [],
      delivered: new Set<number>(),
      late: new Set<string>(),
    };
  });
  const phoneOf = (entry: Entry): SimulatedPhone => {
    if (entry.phone) return entry.phone;
    const { profile, clock } = entry;
    const candor = createCandor({
      registry,
      collector: options.target,
      ...(options.prio3Helper ? { prio3Helper: options.prio3Helper } : {}),
      appVersion: profile.appVersion,
      system: { modelFamily: profile.model, os: profile.os, osMajor: profile.osMajor, language: profile.language },
      consent: { regime: 'opt-in' },
      mode: 'production',
      fetch: countingFetch,
      now: () => clock.now,
      flushIntervalMs: 0,
      // Small, as the log is stored with the queue and rewritten at every storage update: a default one (100
      // reports) made the simulation spend most of its time copying it. See `exactTruth`.
      transparencyLogSize: options.exactTruth ? MAX_REPORTS_PER_BATCH : 4,
    });
    candor.onTransparencyLog((log) => {
      for (const e of log) {
        if (e.status === 'late') entry.late.add(e.report.id);
        if (e.status !== 'accepted') continue;
        const day = parseDay(e.report.day);
        if (day !== null) entry.delivered.add(day);
      }
    });
    candor.setConsent(profile.consents ? 'granted' : 'denied');
    entry.phone = new SimulatedPhone(profile, candor, seededRandom(Math.floor(entry.random() * 2 ** 32)));
    entry.phone.describeDevice();
    return entry.phone;
  };

  const concurrency = options.concurrency ?? 32;
  const useAndUpload = async (entry: Entry, minutes: number) => {
    const phone = phoneOf(entry);
    const day = Math.floor(entry.clock.now / DAY_MS);
    const previous = entry.usedOn[entry.usedOn.length - 1];
    // The previous day of use has ended: this flush sends its report.
    if (previous !== day) entry.usedOn.push(day);
    for (let minute = 0; minute < minutes; minute++) {
      await phone.actOneMinute();
      entry.clock.now += 60_000;
    }
    await phone.candor.flush();
  };
  const run = async () => {
    for (let day = 0; day < days; day++) {
      const dayStart = firstDay + day * DAY_MS;
      const { minutes } = options;
      options.onDay?.(dayStart);
      // Only phones used today run the app, so only they send (their previous day of use): the SDK counts any
      // day it runs as a day of use.
      const today = phones.filter((entry) => usesOn(entry.lifecycle, day, entry.random));
      let next = 0;
      let phonesDone = 0;
      const worker = async () => {
        while (next < today.length && !options.signal?.aborted) {
          const entry = today[next++];
          if (!entry) break;
          // Each phone is used at its own time of day, one simulated minute per step.
          entry.clock.now = dayStart + Math.floor(random() * (DAY_MS - minutes * 60_000 - 60_000));
          await useAndUpload(entry, minutes);
          phonesDone++;
          options.onProgress?.({ day: day + 1, days, phonesDone, phones: today.length, uploadsAccepted });
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, today.length) }, worker));
    }
  };
  const wave = async (count: number, minutes: number) => {
    const before = uploadsAccepted;
    // Phones whose owners still use the app: those who left do not come back for a live wave.
    const staying = phones.filter((entry) => entry.lifecycle.churnDay >= days);
    const chosen = new Set<Entry>();
    while (chosen.size < Math.min(count, staying.length)) {
      const entry = staying[Math.floor(random() * staying.length)];
      if (entry) chosen.add(entry);
    }
    await Promise.all(
      [...chosen].map((entry) => {
        // Live: real time, so reports carry the real day. A phone's clock never goes back.
        entry.clock.now = Math.max(entry.clock.now, Date.now());
        return useAndUpload(entry, minutes);
      }),
    );
    return uploadsAccepted - before;
  };
  const finish = async (now = 0): Promise<FleetResult> => {
    const activity = emptyTally();
    const reportableActivity = emptyTally();
    const sdkErrors: Record<string, number> = {};
    let reportsLate = 0;
    for (const entry of phones) {
      const { phone, clock } = entry;
      if (!phone) continue;
      // A day's report is sent at the first flush after the day ends: move past midnight and flush.
      clock.now = Math.max((Math.floor(clock.now / DAY_MS) + 1) * DAY_MS + 60_000, now);
      await phone.candor.flush();
      for (const key of Object.keys(activity) as (keyof ActivityTally)[]) {
        activity[key] += phone.tally[key];
        if (phone.profile.consents && key !== 'privatePageLoads') reportableActivity[key] += phone.tally[key];
      }
      const { droppedSamples, ...others } = phone.candor.errors;
      for (const [reason, n] of [...Object.entries(droppedSamples), ...Object.entries(others)]) {
        if (n) sdkErrors[reason] = (sdkErrors[reason] ?? 0) + n;
      }
      await phone.candor.shutdown();
      reportsLate += entry.late.size;
    }
    const reporting = phones.filter((entry) => entry.profile.consents);
    const [first, last] = [firstDay / DAY_MS, today / DAY_MS];
    return {
      phones: phones.length,
      consenting: phones.filter((p) => p.profile.consents).length,
      uploadsAccepted,
      uploadsRejected,
      reportsLate,
      activity,
      reportableActivity,
      sdkErrors,
      truth: activityTruth(
        reporting.map((entry) => ({ used: entry.usedOn })),
        first,
        last,
      ),
      deliveredTruth: activityTruth(
        reporting.map((entry) => ({ used: entry.usedOn, delivered: entry.delivered })),
        first,
        last,
      ),
    };
  };
  return { run, wave, finish };
}

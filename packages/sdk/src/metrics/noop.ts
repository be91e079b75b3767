/**
 * Handles for a metric that cannot be recorded (as OpenTelemetry's NoopMeter hands out no-op instruments): a
 * metric not in the registry or asked for with the wrong type (production mode: each use is counted as a dropped
 * sample), or past its registry `expires` day (each use does nothing, as in Glean). Every handle has the type the
 * app asked for, so a misused metric never breaks the app's code.
 */
import type {
  BooleanHandle,
  CounterHandle,
  CrashHandle,
  DistributionHandle,
  EnumerationHandle,
  EventHandle,
  LabeledCounterHandle,
  QuantityHandle,
  SiteHandle,
} from './types.js';

export interface NoopHandles {
  counter: CounterHandle;
  labeledCounter: LabeledCounterHandle;
  boolean: BooleanHandle;
  quantity: QuantityHandle;
  timing: DistributionHandle;
  memory: DistributionHandle;
  enumeration: EnumerationHandle;
  site: SiteHandle;
  event: EventHandle;
  crash: CrashHandle;
}

/** One set of handles whose every call runs `onUse` and records nothing. */
export function noopHandles(onUse: () => void): NoopHandles {
  const use = { add: onUse, set: onUse, record: onUse };
  return {
    counter: use,
    labeledCounter: use,
    boolean: use,
    quantity: use,
    timing: use,
    memory: use,
    enumeration: use,
    site: use,
    event: use,
    crash: use,
  };
}

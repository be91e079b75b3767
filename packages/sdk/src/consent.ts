import type { ConsentRegime, ConsentState } from './options.js';

/**
 * The consent choice and private mode: what decides whether anything may be recorded or sent. Under "opt-in"
 * an unknown choice allows nothing; under "opt-out" it is presumed consent until the person says no. Private
 * mode is held here only, in memory: it is never stored and no report says whether it was on.
 */
export class Consent {
  state: ConsentState;
  /** The person chose (here, in another tab, or earlier, as stored): that wins over a state the app seeded. */
  chosen = false;
  private privateOn = false;
  private privateScopes = 0;

  constructor(
    private readonly regime: ConsentRegime,
    state: ConsentState,
  ) {
    this.state = state;
  }

  /** Consent given, or presumed under opt-out. */
  get allows(): boolean {
    return this.state === 'granted' || (this.state === 'unknown' && this.regime === 'opt-out');
  }

  get isPrivate(): boolean {
    return this.privateOn || this.privateScopes > 0;
  }

  /** The choice as storage keeps it: null while none was made. */
  get stored(): 'granted' | 'denied' | null {
    return this.state === 'unknown' ? null : this.state;
  }

  setPrivate(on: boolean): void {
    // Anything truthy turns private mode on: a wrong type must never leave it off by mistake.
    this.privateOn = Boolean(on);
  }

  /** withPrivate(): scopes nest, and private mode ends only when the last one does. */
  enterPrivate(): void {
    this.privateScopes++;
  }

  leavePrivate(): void {
    this.privateScopes--;
  }
}

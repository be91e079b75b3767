/** A decoded value the detectors look at, with the path that reached it and how it was unwrapped. */
export interface Leaf {
  /** Path inside the decoded payload, e.g. "data_list[0].properties.$model". */
  field: string;
  value: string;
  /** Decoding steps applied, outermost first, e.g. ["form", "base64", "gzip", "json"]. */
  decoding: string[];
  /** A number read from a protobuf varint or fixed field: no field name, so only known-value matching applies. */
  unnamedNumber?: boolean;
  /** A JSON number: it is taken for an identifier only when its field name says so. */
  jsonNumber?: boolean;
  /** A string that decoded to a structured record (protobuf): its fields are examined, not it as one value. */
  structured?: boolean;
}

export interface DecodeLimits {
  /** Decoding steps in one chain (base64 inside JSON inside gzip ...). */
  maxSteps: number;
  /** JSON or protobuf nesting levels walked. */
  maxNesting: number;
  /** Bytes all decompression of one request may produce together. */
  maxOutputBytes: number;
  /** Values handed to detectors per request. */
  maxLeaves: number;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxSteps: 16,
  maxNesting: 64,
  maxOutputBytes: 64 * 1024 * 1024,
  maxLeaves: 200_000,
};

/** Per-request decoding state: the budget left and the warnings raised. */
export class DecodeContext {
  outputBytes = 0;
  leaves = 0;
  readonly warnings = new Set<string>();

  constructor(
    readonly limits: DecodeLimits,
    private readonly sink: (leaf: Leaf) => void,
  ) {}

  emit(leaf: Leaf): void {
    if (this.leaves >= this.limits.maxLeaves) {
      this.warn(`more than ${this.limits.maxLeaves} values; the rest were not examined`);
      return;
    }
    this.leaves++;
    this.sink(leaf);
  }

  warn(message: string): void {
    this.warnings.add(message);
  }

  /** Bytes a decompressor may still produce for this request. */
  outputBudget(): number {
    return Math.max(0, this.limits.maxOutputBytes - this.outputBytes);
  }
}

// Field names tell detectors what a value is meant to be ("gps_adid", "$os_version", "_miuiver_"). Names are
// normalised to lowercase letters and digits so every spelling of one name meets the same hint.

const MAX_CACHED_FIELDS = 4096;
const cache = new Map<string, FieldNames>();

export interface FieldNames {
  /** The last path segment, normalised: "properties.$search_word" -> "searchword". */
  last: string;
  /** The last two non-index segments joined, normalised: "user.id" -> "userid". */
  lastTwo: string;
  /** The last path segment as written, lowercased: "_app_". */
  raw: string;
}

const EMPTY: FieldNames = { last: '', lastTwo: '', raw: '' };

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Splits a field path ("a.b[0].c", "a/b", "form:data_list") into its names, dropping array indexes. */
export function fieldNames(field: string | undefined): FieldNames {
  if (!field) return EMPTY;
  const cached = cache.get(field);
  if (cached) return cached;
  const segments = field.split(/[.[\]/:]+/).filter((s) => s !== '' && !/^\d+$/.test(s));
  const raw = (segments[segments.length - 1] ?? '').toLowerCase();
  const last = normaliseName(raw);
  const previous = normaliseName(segments[segments.length - 2] ?? '');
  const names = { last, lastTwo: previous + last, raw };
  if (cache.size >= MAX_CACHED_FIELDS) cache.clear();
  cache.set(field, names);
  return names;
}

export function fieldIs(names: FieldNames, set: ReadonlySet<string>): boolean {
  return set.has(names.last) || set.has(names.lastTwo);
}

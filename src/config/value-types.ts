/**
 * Value types of broker options: how one option's value is parsed from a
 * string (flag, environment variable, .properties file), accepted from a JSON
 * or programmatic value, and printed back (help text, README, DescribeConfigs).
 * `parse`/`fromValue` throw a plain Error whose message is the reason only;
 * the loader wraps it in a ConfigError naming the option and its source.
 */

export interface ValueType<T> {
  /** Short name for documentation, e.g. "int", "boolean", "host". */
  readonly name: string;
  parse(raw: string): T;
  fromValue(value: unknown): T;
  format(value: T): string;
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return min === max ? `must be ${min}` : `must be an integer in [${min}, ${max}]`;
  if (min !== undefined) return `must be an integer >= ${min}`;
  if (max !== undefined) return `must be an integer <= ${max}`;
  return 'must be an integer';
}

/** A safe JavaScript integer within [min, max]. */
export function intType({ min, max }: IntRange = {}, name = 'int'): ValueType<number> {
  const check = (n: number): number => {
    if (!Number.isSafeInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
      throw new Error(rangeText(min, max));
    }
    return n;
  };
  return {
    name,
    parse(raw) {
      const s = raw.trim();
      if (!/^[+-]?\d+$/.test(s)) throw new Error(rangeText(min, max));
      return check(Number(s));
    },
    fromValue(v) {
      if (typeof v === 'string') return this.parse(v);
      if (typeof v !== 'number') throw new Error(rangeText(min, max));
      return check(v);
    },
    format: (v) => String(v),
  };
}

/** An int, or null when the option is off ("off", "none" or "null" as a string). */
export function nullableIntType(range: IntRange, name = 'int|off'): ValueType<number | null> {
  const inner = intType(range);
  const isOff = (s: string): boolean => ['off', 'none', 'null', 'false'].includes(s.trim().toLowerCase());
  return {
    name,
    parse: (raw) => (isOff(raw) ? null : inner.parse(raw)),
    fromValue: (v) => (v === null || (typeof v === 'string' && isOff(v)) ? null : inner.fromValue(v)),
    format: (v) => (v === null ? 'off' : String(v)),
  };
}

export const booleanType: ValueType<boolean> = {
  name: 'boolean',
  parse(raw) {
    const s = raw.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
    throw new Error('must be true or false');
  },
  fromValue(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') return this.parse(v);
    throw new Error('must be true or false');
  },
  format: (v) => String(v),
};

/** A non-empty string (trimmed). */
export function stringType(name = 'string'): ValueType<string> {
  return {
    name,
    parse(raw) {
      const s = raw.trim();
      if (s === '') throw new Error('must not be empty');
      return s;
    },
    fromValue(v) {
      if (typeof v !== 'string') throw new Error('must be a string');
      return this.parse(v);
    },
    format: (v) => v,
  };
}

/** A string, or null when absent/empty. */
export function optionalStringType(name = 'string'): ValueType<string | null> {
  return {
    name,
    parse: (raw) => (raw.trim() === '' ? null : raw.trim()),
    fromValue(v) {
      if (v === null) return null;
      if (typeof v !== 'string') throw new Error('must be a string');
      return this.parse(v);
    },
    format: (v) => v ?? '',
  };
}

/** One of a fixed set of strings (case-sensitive, as Kafka's ValidString). */
export function enumType<T extends string>(values: readonly T[]): ValueType<T> {
  const text = `must be one of ${values.join(', ')}`;
  return {
    name: values.join('|'),
    parse(raw) {
      const s = raw.trim();
      if (!(values as readonly string[]).includes(s)) throw new Error(text);
      return s as T;
    },
    fromValue(v) {
      if (typeof v !== 'string') throw new Error(text);
      return this.parse(v);
    },
    format: (v) => v,
  };
}

/**
 * How the partition logs make appends durable:
 * - `group`: group commit: appends that arrive together share one fdatasync,
 *   and acks=-1 answers after it (the default; Kafka leaves this to the OS
 *   and relies on replication, which a single node does not have);
 * - `interval:<ms>`: fdatasync at most every intervalMs; acks=-1 waits for it;
 * - `os`: never fsync explicitly (Kafka's default behaviour); the page cache decides.
 */
export type FlushPolicy = { readonly kind: 'group' } | { readonly kind: 'interval'; readonly intervalMs: number } | { readonly kind: 'os' };

const FLUSH_SYNTAX = 'must be group, interval:<ms> (ms >= 1) or os';

export function parseFlushPolicy(raw: string): FlushPolicy {
  const s = raw.trim().toLowerCase();
  if (s === 'group') return { kind: 'group' };
  if (s === 'os') return { kind: 'os' };
  const m = /^interval:(\d+)$/.exec(s);
  if (m) {
    const intervalMs = Number(m[1]);
    if (Number.isSafeInteger(intervalMs) && intervalMs >= 1) return { kind: 'interval', intervalMs };
  }
  throw new Error(FLUSH_SYNTAX);
}

export function formatFlushPolicy(p: FlushPolicy): string {
  return p.kind === 'interval' ? `interval:${p.intervalMs}` : p.kind;
}

export const flushPolicyType: ValueType<FlushPolicy> = {
  name: 'group|interval:<ms>|os',
  parse: parseFlushPolicy,
  fromValue(v) {
    if (typeof v === 'string') return parseFlushPolicy(v);
    if (v !== null && typeof v === 'object') {
      const o = v as { kind?: unknown; intervalMs?: unknown };
      if (o.kind === 'group' || o.kind === 'os') return { kind: o.kind };
      if (o.kind === 'interval' && typeof o.intervalMs === 'number') return parseFlushPolicy(`interval:${o.intervalMs}`);
    }
    throw new Error(FLUSH_SYNTAX);
  },
  format: formatFlushPolicy,
};

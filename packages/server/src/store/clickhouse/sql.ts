import { parseDay } from '@candor/protocol';

/**
 * SQL literals for ClickHouse 18.16, which has no query parameters: every value placed in a query goes through
 * one of these. Strings are quoted with every backslash and quote escaped and control characters written as
 * escapes, so no input can end the literal.
 */
export function stringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** A whole number, checked: anything else is a programming error, never silently formatted. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer for SQL: ${value}`);
  return String(value);
}

/** A Date literal from a real YYYY-MM-DD day (ClickHouse would quietly read 2026-02-30 as March 2). */
export function dayLiteral(day: string): string {
  if (parseDay(day) === null) throw new Error(`not a real YYYY-MM-DD day: "${day}"`);
  return `toDate(${stringLiteral(day)})`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A database or table name; only plain names are allowed, so quoting is never needed. */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain ClickHouse identifier`);
  return name;
}

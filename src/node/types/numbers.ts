// Numbers as Redis reads and writes them: strict integers (string2ll),
// doubles as strtod accepts them (inf, exponents; no NaN, no overflow), and
// doubles written as C's "%.17g" (d2string), integers plainly.

import { notFloat, notInteger, type RedisError } from './reply.js';

const INTEGER = /^-?(0|[1-9][0-9]{0,18})$/;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/** A canonical integer within JavaScript's safe range, or undefined. */
export function toInteger(s: string): number | undefined {
  if (!INTEGER.test(s) || s === '-0') return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function integerArg(s: string, error: () => RedisError = notInteger): number {
  const n = toInteger(s);
  if (n === undefined) throw error();
  return n;
}

/** A double as strtod reads the whole string; NaN, overflow and underflow to zero are refused. */
export function toDouble(s: string): number | undefined {
  const inf = INFINITY.exec(s);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) return undefined;
  // strtod flags a non-zero number that underflows to 0 as a range error.
  if (n === 0 && /[1-9]/.test(s.split(/[eE]/)[0]!)) return undefined;
  return n;
}

export function doubleArg(s: string, error: () => RedisError = notFloat): number {
  const n = toDouble(s);
  if (n === undefined) throw error();
  return n;
}

/** A double as Redis replies it (d2string): integers plainly, otherwise "%.17g". */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && Math.abs(d) < 4503599627370496) return String(d);
  return formatG17(d);
}

function formatG17(d: number): string {
  const [mantissa, expText] = d.toExponential(16).split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    const m = stripZeros(mantissa);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return stripZeros(d.toFixed(16 - exp));
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * A double as HINCRBYFLOAT replies it ("%.17Lf" with trailing zeros cut).
 * Redis computes in long double; this computes in double, so results that
 * are not exact in binary can differ in the last digits.
 */
export function formatLongDouble(d: number): string {
  if (Number.isInteger(d)) return BigInt(d).toString();
  return stripZeros(d.toFixed(17));
}

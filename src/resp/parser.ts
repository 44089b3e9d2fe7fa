// An incremental RESP2 request parser over bytes. It keeps its place across
// chunks (a frame may arrive one byte at a time), copies a bulk string only
// when it straddles chunks, and also reads inline commands: plain text lines
// as typed into telnet, split like redis-cli splits them.

import { RaftkvError } from '../common/errors.js';

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/** A request the server cannot read; Redis answers `-ERR Protocol error: ...` and closes the connection. */
export class RespProtocolError extends RaftkvError<'RAFTKV_ERR_RESP_PROTOCOL'> {
  constructor(message: string) {
    super('RAFTKV_ERR_RESP_PROTOCOL', `Protocol error: ${message}`);
  }
}

export interface RespParserLimits {
  /** Largest bulk string (Redis: proto-max-bulk-len). */
  maxBulkBytes: number;
  /** Most arguments in one command (Redis: 1024 * 1024). */
  maxArgs?: number;
  /** Longest inline command line (Redis: 64 KiB). */
  maxInlineBytes?: number;
  /** Most bytes of all the arguments of one command together. */
  maxCommandBytes?: number;
}

export interface ParseResult {
  /** Every complete command of the input, in order; each is its arguments, the name first. */
  commands: Buffer[][];
  /** Set when the input broke the protocol after `commands`; the parser accepts nothing more. */
  error?: RespProtocolError;
}

/** Longest `*N` or `$N` header line accepted before its CRLF (Redis allows 64 KiB; a count needs 20 bytes). */
const MAX_HEADER_BYTES = 64;
const EMPTY = Buffer.alloc(0);

export class RespParser {
  readonly #maxBulk: number;
  readonly #maxArgs: number;
  readonly #maxInline: number;
  readonly #maxCommand: number;
  /** Unread bytes of earlier chunks: at most one header or inline line. */
  #pending: Buffer = EMPTY;
  /** Arguments of the multibulk command being read, and how many are still due. */
  #args: Buffer[] | undefined;
  #argsLeft = 0;
  /** Bytes the command being read declared so far: checked before any of it is buffered. */
  #commandBytes = 0;
  /** A bulk string (with its CRLF) being filled across chunks. */
  #bulk: Buffer | undefined;
  #bulkFilled = 0;
  #failed: RespProtocolError | undefined;

  constructor(limits: RespParserLimits) {
    this.#maxBulk = limits.maxBulkBytes;
    this.#maxArgs = limits.maxArgs ?? 1024 * 1024;
    this.#maxInline = limits.maxInlineBytes ?? 64 * 1024;
    this.#maxCommand = limits.maxCommandBytes ?? Number.MAX_SAFE_INTEGER;
  }

  /** True when no command is partly read (a clean place to close a connection). */
  get idle(): boolean {
    return this.#pending.length === 0 && this.#args === undefined && this.#bulk === undefined;
  }

  feed(chunk: Buffer): ParseResult {
    const commands: Buffer[][] = [];
    if (this.#failed) return { commands };
    const buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = EMPTY;
    let pos = 0;
    try {
      for (;;) {
        if (this.#bulk) {
          pos = this.#fillBulk(buf, pos);
          if (this.#bulk) break;
          this.#argDone(commands);
          continue;
        }
        if (pos >= buf.length) break;
        const next = this.#args === undefined ? this.#readCommandStart(buf, pos, commands) : this.#readBulkHeader(buf, pos, commands);
        if (next < 0) {
          this.#pending = Buffer.from(buf.subarray(pos));
          break;
        }
        pos = next;
      }
    } catch (e) {
      if (!(e instanceof RespProtocolError)) throw e;
      this.#failed = e;
      this.#pending = EMPTY;
      this.#args = undefined;
      this.#bulk = undefined;
      return { commands, error: e };
    }
    return { commands };
  }

  /** A new command: `*N` starts a multibulk one, anything else is an inline line. Returns -1 when the line is incomplete. */
  #readCommandStart(buf: Buffer, pos: number, commands: Buffer[][]): number {
    if (buf[pos] !== STAR) return this.#readInline(buf, pos, commands);
    const end = lineEnd(buf, pos, MAX_HEADER_BYTES, 'too big mbulk count string');
    if (end < 0) return -1;
    const n = parseCount(buf, pos + 1, end);
    if (n === undefined || n < -1) throw new RespProtocolError('invalid multibulk length');
    if (n > this.#maxArgs) throw new RespProtocolError(`invalid multibulk length: ${n} arguments exceed the limit of ${this.#maxArgs} (limits.maxArgs)`);
    // `*0` and `*-1` (the null array) are empty commands: read and ignored, as Redis does.
    if (n > 0) {
      this.#args = [];
      this.#argsLeft = n;
      this.#commandBytes = 0;
    }
    return end + 2;
  }

  #readBulkHeader(buf: Buffer, pos: number, commands: Buffer[][]): number {
    if (buf[pos] !== DOLLAR) throw new RespProtocolError(`expected '$', got '${printable(buf[pos]!)}'`);
    const end = lineEnd(buf, pos, MAX_HEADER_BYTES, 'too big bulk count string');
    if (end < 0) return -1;
    const len = parseCount(buf, pos + 1, end);
    if (len === undefined || len < 0 || len > this.#maxBulk) throw new RespProtocolError('invalid bulk length');
    this.#commandBytes += len;
    if (this.#commandBytes > this.#maxCommand) throw this.#commandTooBig(this.#commandBytes);
    const start = end + 2;
    if (buf.length - start >= len + 2) {
      // The whole bulk string is in this chunk: no copy.
      expectCrlf(buf, start + len);
      this.#args!.push(buf.subarray(start, start + len));
      this.#argDone(commands);
      return start + len + 2;
    }
    this.#bulk = Buffer.allocUnsafe(len + 2);
    this.#bulkFilled = 0;
    return this.#fillBulk(buf, start);
  }

  /** Copy what this chunk has of the bulk string being filled; returns the new position. */
  #fillBulk(buf: Buffer, pos: number): number {
    const bulk = this.#bulk!;
    const n = Math.min(bulk.length - this.#bulkFilled, buf.length - pos);
    buf.copy(bulk, this.#bulkFilled, pos, pos + n);
    this.#bulkFilled += n;
    if (this.#bulkFilled === bulk.length) {
      expectCrlf(bulk, bulk.length - 2);
      this.#args!.push(bulk.subarray(0, bulk.length - 2));
      this.#bulk = undefined;
    }
    return pos + n;
  }

  #argDone(commands: Buffer[][]): void {
    if (--this.#argsLeft > 0) return;
    commands.push(this.#args!);
    this.#args = undefined;
  }

  #commandTooBig(bytes: number): RespProtocolError {
    return new RespProtocolError(`command of ${bytes} bytes exceeds the limit of ${this.#maxCommand} bytes (limits.maxCommandBytes)`);
  }

  #readInline(buf: Buffer, pos: number, commands: Buffer[][]): number {
    const nl = buf.indexOf(LF, pos);
    const length = (nl < 0 ? buf.length : nl) - pos;
    if (length > this.#maxInline) throw new RespProtocolError(`too big inline request (over the limit of ${this.#maxInline} bytes, limits.maxInlineBytes)`);
    if (length > this.#maxCommand) throw this.#commandTooBig(length);
    if (nl < 0) return -1;
    const lineStop = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
    const args = splitInlineArgs(buf.subarray(pos, lineStop));
    if (args === undefined) throw new RespProtocolError('unbalanced quotes in request');
    if (args.length > 0) commands.push(args);
    return nl + 1;
  }
}

/** Index of the CR of the CRLF ending the line at `pos`, or -1 when it has not arrived yet. */
function lineEnd(buf: Buffer, pos: number, max: number, tooLong: string): number {
  const cr = buf.indexOf(CR, pos);
  if (cr < 0 || cr - pos > max) {
    if ((cr < 0 ? buf.length : cr) - pos > max) throw new RespProtocolError(tooLong);
    return -1;
  }
  if (cr + 1 >= buf.length) return -1;
  if (buf[cr + 1] !== LF) throw new RespProtocolError("expected '\\n' after '\\r'");
  return cr;
}

function expectCrlf(buf: Buffer, at: number): void {
  if (buf[at] !== CR || buf[at + 1] !== LF) throw new RespProtocolError('expected CRLF after a bulk string');
}

/** A decimal integer in buf[from, to): an optional '-' and 1-18 digits, or undefined. */
function parseCount(buf: Buffer, from: number, to: number): number | undefined {
  let i = from;
  const negative = buf[i] === 45;
  if (negative) i++;
  if (i >= to || to - i > 18) return undefined;
  let n = 0;
  for (; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function printable(byte: number): string {
  return byte >= 32 && byte < 127 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
}

const isSpace = (b: number | undefined): boolean => b === 32 || (b !== undefined && b >= 9 && b <= 13);
const hexValue = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
};
const ESCAPES: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 };

/**
 * Split an inline command line into arguments the way Redis (sdssplitargs)
 * does: blanks separate, "double quotes" take \n \r \t \b \a \xHH and \"
 * escapes, 'single quotes' take \'. Undefined when quotes are unbalanced or a
 * closing quote is not followed by a blank.
 */
export function splitInlineArgs(line: Buffer): Buffer[] | undefined {
  const args: Buffer[] = [];
  let p = 0;
  const n = line.length;
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return args;
    const cur: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done; ) {
      const c = line[p];
      if (inDouble) {
        if (c === undefined) return undefined;
        if (c === 92 && line[p + 1] === 120 && hexValue(line[p + 2]) >= 0 && hexValue(line[p + 3]) >= 0) {
          cur.push(hexValue(line[p + 2]) * 16 + hexValue(line[p + 3]));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          cur.push(ESCAPES[line[p]!] ?? line[p]!);
        } else if (c === 34) {
          if (p + 1 < n && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else cur.push(c);
      } else if (inSingle) {
        if (c === undefined) return undefined;
        if (c === 92 && line[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(line[p + 1])) return undefined;
          done = true;
        } else cur.push(c);
      } else if (c === undefined || c === 0 || isSpace(c)) {
        done = true;
      } else if (c === 34) {
        inDouble = true;
      } else if (c === 39) {
        inSingle = true;
      } else cur.push(c);
      if (p < n) p++;
    }
    args.push(Buffer.from(cur));
  }
}

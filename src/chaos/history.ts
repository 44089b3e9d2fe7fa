// The record of what the chaos clients asked and were answered, in the
// checker's terms: an op whose answer never came is "unknown" (it may or
// may not have taken effect), which is the honest record of a timeout.

import { performance } from 'node:perf_hooks';
import type { KvInput, KvOutput, Operation } from '../check/linearizability.js';

export class History {
  readonly ops: Operation[] = [];

  /** Note the call now; the returned function notes the answer (or that none came). */
  begin(clientId: number, input: KvInput): (output: KvOutput) => void {
    const op: Operation = { clientId, input, output: { unknown: true }, call: performance.now(), return: Infinity };
    this.ops.push(op);
    return (output) => {
      op.output = output;
      op.return = 'unknown' in output ? Infinity : performance.now();
    };
  }

  /** Drop an op that provably had no effect (a failed read). */
  forget(clientId: number, input: KvInput): void {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      if (op.clientId === clientId && op.input === input) {
        this.ops.splice(i, 1);
        return;
      }
    }
  }
}

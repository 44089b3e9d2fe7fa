// validateMessage, rule by rule: what a correct peer sends passes, each
// impossible field is named in the reason.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryKind, MessageType, type Entry, type Message } from '../../src/raft/types.js';
import { validateMessage, type ValidationContext } from '../../src/transport/validate.js';
import { everyMessageType, numbered } from './helpers.js';

const ctx: ValidationContext = { self: 'b', peer: 'a', maxSnapshotBytes: 1 << 20, maxChunkBytes: 4096 };
const entry = (index: number, term = 7, kind: EntryKind = EntryKind.Normal): Entry => ({ index, term, kind, data: new Uint8Array(1) });
const app = (over: Partial<Message> = {}): Message => ({ type: MessageType.App, from: 'a', to: 'b', term: 7, index: 40, logTerm: 6, commit: 39, entries: [entry(41), entry(42)], ...over });
const meta = { index: 100, term: 6, size: 4096, confState: { voters: ['a', 'b'], learners: [], removed: [] } };
const snap = (over: Partial<Message> = {}): Message => ({ type: MessageType.Snap, from: 'a', to: 'b', term: 7, index: 0, logTerm: 0, commit: 0, snapshot: meta, offset: 0, data: new Uint8Array(100), checksum: 5, last: false, ...over });

function refused(m: Message, reason: RegExp): void {
  const why = validateMessage(m, ctx);
  assert.ok(why !== undefined, `accepted ${JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`);
  assert.match(why, reason);
}

describe('validateMessage', () => {
  it('passes every message type as a correct peer sends it', () => {
    for (const m of everyMessageType('a', 'b')) assert.equal(validateMessage(m, ctx), undefined, m.type);
    assert.equal(validateMessage(app({ entries: [] }), ctx), undefined, 'an empty App (a probe)');
    assert.equal(validateMessage(app({ commit: 10_000 }), ctx), undefined, 'a commit beyond the entries (the core clamps it)');
    assert.equal(validateMessage(snap({ offset: 3996, data: new Uint8Array(100), last: true }), ctx), undefined, 'the last chunk');
  });

  it('checks who sent it and to whom', () => {
    refused({ ...numbered('c', 'b', 1) }, /from/);
    refused({ ...numbered('a', 'c', 1) }, /to is not this node/);
    refused({ ...numbered('a', 'b', 1), type: 'Bogus' as MessageType }, /unknown message type/);
  });

  it('requires counts: no NaN, negative, 2^60, fraction or infinity in any number field', () => {
    for (const field of ['term', 'index', 'logTerm', 'commit', 'rejectHint', 'context', 'offset', 'chunkSize'] as const) {
      for (const v of [NaN, -1, 2 ** 60, 1.5, Infinity]) refused({ ...numbered('a', 'b', 1), [field]: v }, /not a non-negative safe integer/);
    }
    refused({ ...numbered('a', 'b', 1), term: undefined as unknown as number }, /term/);
    refused({ ...numbered('a', 'b', 1), checksum: 2 ** 32 }, /checksum/);
  });

  it('requires entries that continue the log at index + 1, in rising terms between logTerm and term, of known kinds', () => {
    refused(app({ entries: [entry(41), entry(43)] }), /not contiguous/);
    refused(app({ entries: [entry(42)] }), /not contiguous/);
    refused(app({ entries: [entry(41, 8)] }), /entry terms/);
    refused(app({ entries: [entry(41, 5)] }), /entry terms/);
    refused(app({ entries: [entry(41, 7), entry(42, 6)] }), /entry terms/);
    refused(app({ entries: [entry(41, 7, 3 as EntryKind)] }), /entry kind/);
    refused(app({ index: Number.MAX_SAFE_INTEGER }), /overflow/);
    refused({ ...numbered('a', 'b', 1), entries: [entry(1)] }, /other than App/);
  });

  it('requires a Snap to carry metadata of a snapshot within the limits and a chunk inside it', () => {
    refused(snap({ snapshot: undefined }), /without snapshot metadata/);
    refused(snap({ offset: undefined }), /without offset/);
    refused(snap({ snapshot: { ...meta, index: 0 } }), /snapshot index/);
    refused(snap({ snapshot: { ...meta, term: 8 } }), /snapshot term/);
    refused(snap({ snapshot: { ...meta, size: 2 << 20 } }), /snapshot limit/);
    refused(snap({ snapshot: { ...meta, confState: { voters: [], learners: [], removed: [] } } }), /no voters/);
    refused(snap({ snapshot: { ...meta, confState: { voters: ['a', 7 as unknown as string], learners: [], removed: [] } } }), /ids/);
    refused(snap({ data: new Uint8Array(5000) }), /chunk limit/);
    refused(snap({ offset: 4000 }), /beyond the snapshot size/);
    refused({ ...numbered('a', 'b', 1), data: new Uint8Array(1) }, /other than Snap/);
  });
});

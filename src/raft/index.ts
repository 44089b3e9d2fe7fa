export * from './types.js';
export * from './errors.js';
export * from './config.js';
export { SeededRand } from './rand.js';
export { RawNode, IMPOSSIBLE_MESSAGE_DROPPED, type ProposalRef, type Status, type PeerStatus } from './rawnode.js';
export { encodeConfChange, decodeConfChange } from './confchange.js';
export { fillSnapshotChunk, setSnapshotChunk, crc32 } from './snapshot.js';

// Keys to hash slots, as Redis Cluster does: CRC16 (XMODEM) of the key's
// UTF-8 bytes, modulo 16384. When a key holds a non-empty `{tag}`, only the
// tag is hashed, so `{user1}.a` and `{user1}.b` share a slot (and a shard).
// Pure and dependency-free: both the router and every node use it.

export const SLOT_COUNT = 16384;

/** Inclusive slot range [first, last]. */
export type SlotRange = readonly [number, number];

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/XMODEM (polynomial 0x1021, initial value 0): the one Redis Cluster uses. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/** The hash slot of a key (its `{tag}` only, when it has a non-empty one). */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(OPEN);
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(bytes) & (SLOT_COUNT - 1);
}

/**
 * Parse slot ranges written as in the config: "0-8191", "100", or several
 * separated by commas ("0-99,200-299"). Throws with the problem.
 */
export function parseSlotRanges(text: string): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) throw new Error(`${JSON.stringify(part)} is not a slot or a range "first-last"`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last >= SLOT_COUNT) throw new Error(`slot ${last} is out of range (0-${SLOT_COUNT - 1})`);
    if (last < first) throw new Error(`range ${part} ends before it starts`);
    ranges.push([first, last]);
  }
  return ranges;
}

export function formatSlotRanges(ranges: readonly SlotRange[]): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

/** `n` contiguous ranges covering every slot, as even as can be (Redis's own split for 2: 0-8191, 8192-16383). */
export function splitSlotsEvenly(n: number): SlotRange[] {
  return Array.from({ length: n }, (_, i): SlotRange => [Math.floor((i * SLOT_COUNT) / n), Math.floor(((i + 1) * SLOT_COUNT) / n) - 1]);
}

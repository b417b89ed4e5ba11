// Reading Kafka's wire format as plain numbers: big-endian ints, zigzag varints and varlongs,
// length-prefixed strings and bytes (views into the buffer, not copies). No Long objects: numbers
// are exact below 2^53, which offsets, timestamps and their deltas stay far below (a reader that
// must be exact beyond, like the consumer's record batch decoder, checks and falls back to BigInt).

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    const v = readInt64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }
  string(): string {
    const length = this.int16();
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }
  bytes(length: number): Buffer {
    if (this.pos + length > this.buf.length) throw new Error('truncated fetch response');
    const b = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return b;
  }
  /** A zigzag varint of up to 32 bits. */
  varint(): number {
    let raw = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.pos++]!;
      raw |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 28) throw new Error('varint longer than 5 bytes');
    }
    return (raw >>> 1) ^ -(raw & 1);
  }
  /** A zigzag varlong, exact below 2^53 (a record's timestamp delta in practice). */
  varlong(): number {
    let raw = 0;
    let factor = 1;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varlong');
      raw += (byte & 0x7f) * factor;
      if (byte < 0x80) break;
      factor *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
  /** Length-prefixed UTF-8 text; -1 is null. */
  varString(): string | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.pos + length > this.buf.length) throw new Error('truncated record');
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }
  /** Length-prefixed bytes; -1 is null. A view, not a copy. */
  varBytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    return this.bytes(length);
  }
}

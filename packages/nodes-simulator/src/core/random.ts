import { createHash } from 'node:crypto';

/** A small seeded PRNG (sfc32): the same seed gives the same stream, so the same seed gives the same plant. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  /**
   * `seed`: a small integer, or a text whose SHA-256 fills the whole 128-bit state, so texts that differ at all
   * give unrelated streams.
   */
  constructor(seed: number | string) {
    if (typeof seed === 'string') {
      const hash = createHash('sha256').update(seed).digest();
      this.a = hash.readUInt32LE(0);
      this.b = hash.readUInt32LE(4);
      this.c = hash.readUInt32LE(8);
      this.d = hash.readUInt32LE(12);
    } else {
      // splitmix32 spreads a small integer seed over the 128-bit state.
      let s = seed >>> 0;
      const next = () => {
        s = (s + 0x9e3779b9) | 0;
        let z = s;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.a = next();
      this.b = next();
      this.c = next();
      this.d = next();
    }
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box-Muller, keeping the second value for the next call). */
  gaussian(): number {
    if (!Number.isNaN(this.spare)) {
      const value = this.spare;
      this.spare = Number.NaN;
      return value;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Fills a buffer with random bytes: the id generator's source, so ids are reproducible too. */
  fill(buffer: Uint8Array): void {
    for (let i = 0; i < buffer.length; i += 4) {
      const word = this.uint32();
      buffer[i] = word & 0xff;
      buffer[i + 1] = (word >>> 8) & 0xff;
      buffer[i + 2] = (word >>> 16) & 0xff;
      buffer[i + 3] = word >>> 24;
    }
  }
}

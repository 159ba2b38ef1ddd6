/**
 * InfluxDB line protocol text, written straight into a reused buffer: the encoding QuestDB's /write takes.
 * Escaping follows QuestDB's rules (the same as its official client): in table names, symbol names and values
 * a space, comma, equals sign, newline, carriage return and backslash are escaped; in quoted strings a double
 * quote, newline, carriage return and backslash. Timestamps are epoch milliseconds (`/write?precision=ms`).
 */
export class IlpBuffer {
  private bytes: Buffer;
  private position = 0;

  constructor(initialBytes = 1 << 20) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.position;
  }

  /** The encoded lines; valid until the next reset(). */
  view(): Buffer {
    return this.bytes.subarray(0, this.position);
  }

  reset(): void {
    this.position = 0;
  }

  /** Text that needs no escaping and is pure ASCII (numbers, UUIDs, punctuation we write ourselves). */
  ascii(text: string): this {
    this.reserve(text.length);
    this.position += this.bytes.write(text, this.position, 'latin1');
    return this;
  }

  /** Bytes prepared earlier (a cached line prefix). */
  append(bytes: Buffer): this {
    this.reserve(bytes.length);
    this.position += bytes.copy(this.bytes, this.position);
    return this;
  }

  /** Any text, as UTF-8 (already escaped). */
  utf8(text: string): this {
    this.reserve(text.length * 3);
    this.position += this.bytes.write(text, this.position, 'utf8');
    return this;
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.position + bytes));
    this.bytes.copy(grown, 0, 0, this.position);
    this.bytes = grown;
  }
}

/** A table name, symbol name, symbol value or column name, escaped for the unquoted parts of a line. */
export const escapeName = (text: string): string => text.replace(/[ ,=\n\r\\]/g, '\\$&');

/** A string column's value, escaped for inside its double quotes. */
export const escapeQuoted = (text: string): string => text.replace(/["\n\r\\]/g, '\\$&');

/**
 * The line framing of the file log: one record per line,
 *
 *   <CRC-32 of the payload, 8 lowercase hex digits><payload, UTF-8 JSON>\n
 *
 * so a record is all or nothing. A line whose checksum does not match (a torn or flipped
 * write) is rejected whole, and bytes after the last `\n` are a torn tail: a write that never
 * finished, hence was never acknowledged.
 */

const NEWLINE = 0x0a;
const HEADER = 8;
const HEX8 = /^[0-9a-f]{8}$/;

let crcTable: Int32Array | undefined;

/**
 * CRC-32 (the zlib polynomial). Written here rather than taken from `node:zlib`, whose
 * `crc32` only exists from Node 20.15 and which the platform-neutral build does not
 * externalize.
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Frames a JSON payload as one line: 8 hex digits of its CRC-32, the payload, `\n`. */
export function frame(payload: string): Buffer {
  const n = Buffer.byteLength(payload);
  const line = Buffer.allocUnsafe(HEADER + n + 1);
  line.write(payload, HEADER, n, 'utf8');
  line.write(crc32(line.subarray(HEADER, HEADER + n)).toString(16).padStart(HEADER, '0'), 0, HEADER, 'latin1');
  line[HEADER + n] = NEWLINE;
  return line;
}

/** The payload of one line (without its newline); undefined when torn or corrupt. */
export function unframe(line: Buffer): string | undefined {
  // The shortest payload is `[]`.
  if (line.length < HEADER + 2) return undefined;
  const header = line.toString('latin1', 0, HEADER);
  if (!HEX8.test(header) || Number.parseInt(header, 16) !== crc32(line.subarray(HEADER))) return undefined;
  return line.toString('utf8', HEADER);
}

export interface Lines {
  /** Every complete line, without its newline (views into the input, not copies). */
  readonly lines: readonly Buffer[];
  /** Where the complete lines end; bytes from here on are a torn tail. */
  readonly end: number;
}

/** Splits a log into its complete lines and finds where a torn tail begins. */
export function splitLines(bytes: Buffer): Lines {
  const lines: Buffer[] = [];
  let pos = 0;
  for (let nl = bytes.indexOf(NEWLINE, pos); nl >= 0; nl = bytes.indexOf(NEWLINE, pos)) {
    lines.push(bytes.subarray(pos, nl));
    pos = nl + 1;
  }
  return { lines, end: pos };
}

/**
 * A layer tar with its file times clamped to one moment, SOURCE_DATE_EPOCH
 * (reproducible-builds.org/specs/source-date-epoch): a time later than it becomes it, an earlier
 * one stays. Build steps stamp what they write with the time they ran, so without this no two
 * builds give the same layer; a package's files keep the times the package gives them (Python's
 * .pyc files are checked against their sources' times, so setting every time would make them
 * stale). BuildKit's exporter option `rewrite-timestamp=true` does the same, but the docker
 * driver refuses it ("conflicts with unpack", moby/buildkit#4986), so mab does it to the layers
 * it stores.
 *
 * Only times change, in place: the mtime field of each ustar header (its checksum recomputed),
 * and the mtime, atime and ctime records of PAX extended headers (a record, and so the header's
 * size, gets shorter). Names, modes, owners, contents and the order of the entries are kept byte
 * for byte, and so is everything after the end-of-archive blocks.
 */

const BLOCK = 512;
const SIZE = { at: 124, length: 12 };
const MTIME = { at: 136, length: 12 };
const CHECKSUM = { at: 148, length: 8 };
const TYPEFLAG = 156;
// PAX extended headers: 'x' for the next entry, 'g' for every entry after it.
const PAX_TYPES = new Set(['x', 'g']);
const PAX_TIMES = new Set(['mtime', 'atime', 'ctime']);

/** Exactly-sized reads from a stream of chunks. */
class Reader {
  private held: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** The next n bytes, or fewer where the stream ends. */
  async take(n: number): Promise<Buffer> {
    while (this.held.length < n) {
      const r = await this.it.next();
      if (r.done) break;
      this.held = this.held.length ? Buffer.concat([this.held, r.value]) : r.value;
    }
    const out = this.held.subarray(0, n);
    this.held = this.held.subarray(out.length);
    return out;
  }

  /** The next n bytes as they come, never held whole (a file's content may be gigabytes). */
  async *pass(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (!this.held.length) {
        const r = await this.it.next();
        if (r.done) throw new Error(`the tar ends ${n} bytes before its last entry does`);
        this.held = r.value;
      }
      const out = this.held.subarray(0, n);
      this.held = this.held.subarray(out.length);
      n -= out.length;
      yield out;
    }
  }

  async *rest(): AsyncGenerator<Buffer> {
    if (this.held.length) yield this.held;
    this.held = Buffer.alloc(0);
    for (let r = await this.it.next(); !r.done; r = await this.it.next()) yield r.value;
  }
}

/** A numeric header field: octal digits, or base-256 when its first byte has the high bit set. */
function readNumber(header: Buffer, f: { at: number; length: number }): number {
  const field = header.subarray(f.at, f.at + f.length);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ].*$/s, '')
    .trim();
  return text ? parseInt(text, 8) : 0;
}

/** Octal digits filling the field but its last byte, a NUL (as Go's archive/tar writes them). */
function writeNumber(header: Buffer, f: { at: number; length: number }, n: number): void {
  header.write(n.toString(8).padStart(f.length - 1, '0') + '\0', f.at, f.length, 'latin1');
}

/** The header's checksum, over its bytes with the checksum field as spaces; written as six octal digits, NUL, space. */
function sealHeader(header: Buffer): void {
  header.fill(0x20, CHECKSUM.at, CHECKSUM.at + CHECKSUM.length);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', CHECKSUM.at, CHECKSUM.length, 'latin1');
}

/** PAX records ("LEN key=value\n"), with every time later than epoch made epoch. */
function clampPax(data: Buffer, epoch: number): Buffer {
  const records: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space > at ? Number(data.subarray(at, space).toString('latin1')) : NaN;
    if (!Number.isInteger(length) || length <= 0 || at + length > data.length) {
      // Not a record (a header padded with NULs, say): kept as it is.
      records.push(data.subarray(at));
      break;
    }
    const record = data.subarray(at, at + length);
    const text = record.subarray(space - at + 1, length - 1).toString('utf8');
    const eq = text.indexOf('=');
    const key = text.slice(0, eq);
    if (eq > 0 && PAX_TIMES.has(key) && Number(text.slice(eq + 1)) > epoch) records.push(paxRecord(key, String(epoch)));
    else records.push(record);
    at += length;
  }
  return Buffer.concat(records);
}

/** "LEN key=value\n", where LEN counts its own digits too. */
function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.byteLength(` ${key}=${value}\n`);
  let length = body + String(body).length;
  // One more digit at most: 98 bytes of body make a record of 100.
  length = body + String(length).length;
  return Buffer.from(`${length} ${key}=${value}\n`);
}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** The tar with every file time later than `epoch` (seconds since 1970) made `epoch`. */
export async function* clampTarTimes(tar: AsyncIterable<Buffer>, epoch: number): AsyncGenerator<Buffer> {
  const r = new Reader(tar);
  for (;;) {
    const header = Buffer.from(await r.take(BLOCK));
    if (header.length < BLOCK) throw new Error('the tar ends inside a header');
    // The end-of-archive blocks, and whatever pads the archive after them, go out as they came.
    if (header.every((b) => b === 0)) {
      yield header;
      yield* r.rest();
      return;
    }
    // A header left alone keeps its bytes, checksum included (writers spell it differently).
    const changed = readNumber(header, MTIME) > epoch;
    if (changed) writeNumber(header, MTIME, epoch);
    const size = readNumber(header, SIZE);
    if (PAX_TYPES.has(String.fromCharCode(header[TYPEFLAG]!))) {
      const data = await r.take(size + padding(size));
      const clamped = clampPax(data.subarray(0, size), epoch);
      if (clamped.length !== size) writeNumber(header, SIZE, clamped.length);
      if (changed || clamped.length !== size) sealHeader(header);
      yield header;
      yield Buffer.concat([clamped, Buffer.alloc(padding(clamped.length))]);
      continue;
    }
    if (changed) sealHeader(header);
    yield header;
    yield* r.pass(size + padding(size));
  }
}

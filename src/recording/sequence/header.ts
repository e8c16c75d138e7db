// Text headers of sequence files: MetaIO (.mha/.mhd, `Key = value` lines up to `ElementDataFile`)
// and NRRD (.nrrd/.nhdr, `field: value` and `key:=value` lines up to an empty line). Both read
// the file in chunks until the header ends, so a multi-GB file costs its header, not its size.
//
// Per-frame fields `Seq_Frame<N>_<Field>` are split out of the header (IGSIO
// vtkIGSIOMetaImageSequenceIO.cxx ReadImageHeader and vtkIGSIONrrdSequenceIO.cxx ReadImageHeader:
// the prefix is matched case-insensitively, the frame number ends at the first `_`).
import type { FileHandle } from 'node:fs/promises';
import { SequenceFormatError } from '../errors.js';

export { SequenceFormatError };

/** Header of a sequence file, whichever its format. */
export interface SequenceHeader {
  readonly format: 'metaio' | 'nrrd';
  /** Header fields other than frame fields, keys as written (NRRD fields and `:=` keys alike). */
  readonly fields: ReadonlyMap<string, string>;
  /** Frame number -> field name -> value, for every `Seq_Frame<N>_<Field>` line. */
  readonly frameFields: ReadonlyMap<number, ReadonlyMap<string, string>>;
  /** Byte offset where inline pixel data starts (the header's length). */
  readonly dataOffset: number;
  /** Separate data file named in the header (`ElementDataFile` other than LOCAL, NRRD `data file`), as written. */
  readonly dataFile: string | undefined;
}


const CHUNK = 64 * 1024;
const FRAME_PREFIX = 'seq_frame';
// A header line longer than this is not a header line: stop before reading a whole data file as text.
const MAX_LINE = 16 * 1024 * 1024;

/** Lines of a file from `start`, with the byte offset after each line; the caller stops when the header ends. */
async function* lines(fh: FileHandle): AsyncGenerator<{ text: string; end: number }> {
  const buf = Buffer.alloc(CHUNK);
  let carry: Buffer = Buffer.alloc(0);
  let position = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, position);
    const chunk = bytesRead === 0 ? Buffer.alloc(0) : Buffer.concat([carry, buf.subarray(0, bytesRead)]);
    const base = position - carry.length;
    position += bytesRead;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      // latin1: header text is ASCII; any other byte keeps its value and the offsets stay exact.
      yield { text: chunk.toString('latin1', from, nl), end: base + nl + 1 };
      from = nl + 1;
    }
    if (bytesRead === 0) {
      if (carry.length > 0) yield { text: carry.toString('latin1'), end: base + carry.length };
      return;
    }
    carry = Buffer.from(chunk.subarray(from));
    if (carry.length > MAX_LINE) throw new SequenceFormatError(`header line at byte ${base + from} is longer than ${MAX_LINE} bytes`);
  }
}

/** Adds `Seq_Frame0012_ProbeToTrackerTransform` = value to the frame fields; false if `name` is not a frame field. */
function addFrameField(frames: Map<number, Map<string, string>>, name: string, value: string): boolean {
  if (!name.toLowerCase().startsWith(FRAME_PREFIX)) return false;
  const rest = name.slice(FRAME_PREFIX.length);
  const underscore = rest.indexOf('_');
  const frame = Number(rest.slice(0, underscore));
  // IGSIO skips such lines with a warning; so do we (they are still not header fields).
  if (underscore <= 0 || !Number.isInteger(frame) || frame < 0) return true;
  let fields = frames.get(frame);
  if (!fields) frames.set(frame, (fields = new Map()));
  fields.set(rest.slice(underscore + 1), value);
  return true;
}

/**
 * Reads a MetaIO header: `Key = value` lines; `ElementDataFile` is the last one (IGSIO
 * vtkIGSIOMetaImageSequenceIO.cxx ReadImageHeader, "this is the last element of the header"),
 * and with LOCAL the pixels start right after its line.
 */
export async function readMetaIOHeader(fh: FileHandle, file: string): Promise<SequenceHeader> {
  const fields = new Map<string, string>();
  const frameFields = new Map<number, Map<string, string>>();
  let lineNo = 0;
  for await (const { text, end } of lines(fh)) {
    lineNo++;
    const eq = text.indexOf('=');
    if (eq < 0) {
      if (text.trim() === '') continue;
      throw new SequenceFormatError(`${file}: line ${lineNo} of the MetaIO header has no "=" (${JSON.stringify(text.slice(0, 60))})`);
    }
    const name = text.slice(0, eq).trim();
    const value = text.slice(eq + 1).trim();
    if (addFrameField(frameFields, name, value)) continue;
    fields.set(name, value);
    if (name.toLowerCase() === 'elementdatafile') {
      const local = value.toUpperCase() === 'LOCAL';
      return { format: 'metaio', fields, frameFields, dataOffset: local ? end : 0, dataFile: local ? undefined : value };
    }
  }
  throw new SequenceFormatError(`${file}: the MetaIO header has no ElementDataFile line`);
}

/**
 * Reads a NRRD header: the magic line `NRRD000N`, `#` comments, `field: value` and `key:=value`
 * lines, then an empty line; with no `data file` field the data starts right after it (NRRD
 * format definition §1.2, §3; IGSIO vtkIGSIONrrdSequenceIO.cxx ReadImageHeader).
 */
export async function readNrrdHeader(fh: FileHandle, file: string): Promise<SequenceHeader> {
  const fields = new Map<string, string>();
  const frameFields = new Map<number, Map<string, string>>();
  let lineNo = 0;
  for await (const { text: raw, end } of lines(fh)) {
    lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNo === 1) {
      if (!/^NRRD000\d$/.test(text)) throw new SequenceFormatError(`${file}: not a NRRD file (first line ${JSON.stringify(text.slice(0, 20))})`);
      continue;
    }
    if (text === '') {
      const dataFile = dataFileOf(fields);
      return { format: 'nrrd', fields, frameFields, dataOffset: dataFile === undefined ? end : 0, dataFile };
    }
    if (text.startsWith('#')) continue;
    // A key:=value pair: the key ends at the first ":=" (format §1.2); a field: at the first ": ".
    const kv = text.indexOf(':=');
    const colon = text.indexOf(': ');
    let name: string;
    let value: string;
    if (kv >= 0 && (colon < 0 || kv < colon)) {
      // Trimmed as IGSIO trims them (vtkIGSIONrrdSequenceIO.cxx ReadImageHeader): with
      // `ultrasound image orientation := UF` the key was not found and the frames went unflipped.
      name = text.slice(0, kv).trim();
      value = text.slice(kv + 2).trim();
    } else if (colon >= 0) {
      name = text.slice(0, colon).trim().toLowerCase();
      value = text.slice(colon + 2).trim();
    } else {
      throw new SequenceFormatError(`${file}: line ${lineNo} of the NRRD header is neither "field: value" nor "key:=value"`);
    }
    if (addFrameField(frameFields, name, value)) continue;
    fields.set(name, value);
    // `data file: LIST` is the header's last field: file names follow, one per line (NRRD format
    // §3). They are not fields; the layout refuses the form (layout.ts checkOneDataFile).
    if ((name === 'data file' || name === 'datafile') && /^LIST\b/i.test(value)) {
      return { format: 'nrrd', fields, frameFields, dataOffset: 0, dataFile: value };
    }
  }
  // A detached header may end with the file: the data is elsewhere (Teem's example .nhdr files;
  // IGSIO vtkIGSIONrrdSequenceIO.cxx FinalizeHeader writes the empty line only for inline data).
  const dataFile = dataFileOf(fields);
  if (dataFile !== undefined) return { format: 'nrrd', fields, frameFields, dataOffset: 0, dataFile };
  throw new SequenceFormatError(`${file}: the NRRD header does not end (no empty line)`);
}

/** The NRRD `data file` field (also spelled `datafile`), or undefined for data after the header. */
function dataFileOf(fields: ReadonlyMap<string, string>): string | undefined {
  return fields.get('data file') ?? fields.get('datafile');
}

/** Case-insensitive field lookup (MetaIO keys are matched so by ITK and IGSIO). */
export function field(header: SequenceHeader, name: string): string | undefined {
  const exact = header.fields.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of header.fields) if (k.toLowerCase() === lower) return v;
  return undefined;
}

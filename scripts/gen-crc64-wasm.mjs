#!/usr/bin/env node
// Generates the WebAssembly CRC-64 kernel used by src/protocol/crc64.ts:
//   src/protocol/wasm/crc64.wat   the module as text (for reading; not used by the build)
//   src/protocol/crc64-wasm.ts    the module's bytes as base64 (what the library ships)
//
// No tool is needed: the module is written below as a list of instructions, and this script
// assembles it into the binary format itself (and prints the same list as .wat).
//
//   node scripts/gen-crc64-wasm.mjs          regenerate both files
//   node scripts/gen-crc64-wasm.mjs --check  exit 1 if the committed files are stale
//
// The kernel: slicing-by-16 CRC-64/ECMA-182 (MSB-first, as OpenIGTLink) with native i64 table
// entries. WebAssembly loads are little-endian and it has no byte-swap instruction, so the
// register is kept byte-reversed (r = bswap64(crc)) and so are the tables: bswap distributes
// over XOR, so the loop needs no swap at all, and byte k of a 16-byte step (k = 0 first) indexes
// table 15 - k directly. The host writes the start value and reads the result, byte-reversed,
// at address 0, and copies the input into the scratch area in chunks.
//
// Memory layout (2 pages = 128 KiB, exported as "memory"):
//   0        state: the byte-reversed CRC register (i64)
//   1024     SLICES tables x 256 entries x 8 bytes = 32 KiB (filled by the host: T_k[i], the CRC of
//            byte i followed by k zero bytes, byte-reversed)
//   65536    scratch: up to 64 KiB of input per call
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WAT = path.join(ROOT, 'src/protocol/wasm/crc64.wat');
const TS = path.join(ROOT, 'src/protocol/crc64-wasm.ts');

export const TABLE_BASE = 1024;
export const SCRATCH_BASE = 65536;
export const SCRATCH_SIZE = 65536;
const PAGES = 2;
const UNROLL = 1; // steps per loop iteration
const SLICES = 16; // bytes per step (8 or 16): tables needed

// --- the function: crc(p: i32, n: i32) -------------------------------------------------------
// locals: 0 p, 1 n, 2 end, 3 lo, 4 hi, 5 r (i64), 6 x (i64)
const P = 0, END = 2, LO = 3, HI = 4, R = 5, X = 6;
const body = [];
const I = (...ins) => body.push(ins);
const tableLoad = (table) => ['i64.load', 3, TABLE_BASE + table * 2048];
// ((v >>> shift) & 0x7f8): the byte at bit (shift + 3) as an 8-byte table offset
function index(local, byte) {
  const s = byte * 8 - 3;
  I('local.get', local);
  if (s < 0) I('i32.const', 3), I('i32.shl');
  else I('i32.const', s), I('i32.shr_u');
  I('i32.const', 0x7f8);
  I('i32.and');
}
function step() {
  // SLICES bytes per step: word w (8 bytes) of the step; the register is folded into word 0.
  // x = (w == 0 ? r : 0) ^ load64(p + 8w); lo, hi = its halves;
  // r ^= T[SLICES-1-(8w+k)][byte k of x] for k = 0..7   (byte 0 = first input byte)
  for (let w = 0; w < SLICES / 8; w++) {
    if (w === 0) I('local.get', R);
    I('local.get', P);
    I('i64.load', 3, w * 8);
    if (w === 0) I('i64.xor');
    I('local.tee', X);
    I('i32.wrap_i64');
    I('local.set', LO);
    I('local.get', X);
    I('i64.const', 32);
    I('i64.shr_u');
    I('i32.wrap_i64');
    I('local.set', HI);
    for (let k = 0; k < 8; k++) {
      index(k < 4 ? LO : HI, k % 4);
      I(...tableLoad(SLICES - 1 - (w * 8 + k)));
      if (k > 0 || w > 0) I('i64.xor');
    }
  }
  I('local.set', R);
  I('local.get', P);
  I('i32.const', SLICES);
  I('i32.add');
  I('local.set', P);
}

I('i32.const', 0);
I('i64.load', 3, 0);
I('local.set', R);
I('local.get', P);
I('local.get', 1);
I('i32.add');
I('local.set', END);
// while (p + 8*UNROLL <= end) { UNROLL steps }
I('block');
I('loop');
I('local.get', P);
I('i32.const', SLICES * UNROLL);
I('i32.add');
I('local.get', END);
I('i32.gt_u');
I('br_if', 1);
for (let u = 0; u < UNROLL; u++) step();
I('br', 0);
I('end');
I('end');
// while (p + SLICES <= end) one step
I('block');
I('loop');
I('local.get', P);
I('i32.const', SLICES);
I('i32.add');
I('local.get', END);
I('i32.gt_u');
I('br_if', 1);
step();
I('br', 0);
I('end');
I('end');
// while (p < end) { r = (r >> 8) ^ T0[(r ^ byte) & 0xff] }
I('block');
I('loop');
I('local.get', P);
I('local.get', END);
I('i32.ge_u');
I('br_if', 1);
I('local.get', R);
I('i64.const', 8);
I('i64.shr_u');
I('local.get', R);
I('i32.wrap_i64');
I('local.get', P);
I('i32.load8_u', 0, 0);
I('i32.xor');
I('i32.const', 0xff);
I('i32.and');
I('i32.const', 3);
I('i32.shl');
I(...tableLoad(0));
I('i64.xor');
I('local.set', R);
I('local.get', P);
I('i32.const', 1);
I('i32.add');
I('local.set', P);
I('br', 0);
I('end');
I('end');
I('i32.const', 0);
I('local.get', R);
I('i64.store', 3, 0);

// --- assembler --------------------------------------------------------------------------------
const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, br_if: 0x0d, end: 0x0b,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22,
  'i64.load': 0x29, 'i32.load8_u': 0x2d, 'i64.store': 0x37,
  'i32.const': 0x41, 'i64.const': 0x42,
  'i32.gt_u': 0x4b, 'i32.ge_u': 0x4f,
  'i32.add': 0x6a, 'i32.and': 0x71, 'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_u': 0x76,
  'i64.xor': 0x85, 'i64.shr_u': 0x88, 'i32.wrap_i64': 0xa7,
};
const MEM_OPS = new Set(['i64.load', 'i32.load8_u', 'i64.store']);
function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n) {
  const out = [];
  let big = BigInt(n);
  for (;;) {
    const b = Number(big & 0x7fn);
    big >>= 7n;
    if ((big === 0n && (b & 0x40) === 0) || (big === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const str = (s) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const vec = (items) => [...uleb(items.length), ...items.flat()];

function code() {
  const out = [];
  for (const [op, a, b] of body) {
    out.push(OP[op]);
    if (op === 'block' || op === 'loop') out.push(0x40);
    else if (MEM_OPS.has(op)) out.push(...uleb(a), ...uleb(b));
    else if (op === 'i32.const' || op === 'i64.const') out.push(...sleb(a));
    else if (a !== undefined) out.push(...uleb(a));
  }
  out.push(0x0b);
  return out;
}

function assemble() {
  const I32 = 0x7f, I64 = 0x7e;
  const type = section(1, vec([[0x60, ...vec([[I32], [I32]]), ...vec([])]]));
  const func = section(3, vec([[0]]));
  const memory = section(5, vec([[0x00, ...uleb(PAGES)]]));
  const exports = section(7, vec([[...str('memory'), 0x02, 0], [...str('crc'), 0x00, 0]]));
  const locals = vec([[3, I32], [2, I64]]); // end lo hi : i32, r x : i64
  const fbody = [...locals, ...code()];
  const codeSec = section(10, vec([[...uleb(fbody.length), ...fbody]]));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...func, ...memory, ...exports, ...codeSec]);
}

function wat() {
  const lines = [
    ';; Generated by scripts/gen-crc64-wasm.mjs -- do not edit (edit the generator).',
    ';; CRC-64/ECMA-182 slicing-by-16 with byte-reversed register and tables; see the generator.',
    '(module',
    `  (memory (export "memory") ${PAGES})`,
    '  (func (export "crc") (param $p i32) (param $n i32)',
    '    (local $end i32) (local $lo i32) (local $hi i32) (local $r i64) (local $x i64)',
  ];
  const names = ['$p', '$n', '$end', '$lo', '$hi', '$r', '$x'];
  let depth = 2;
  for (const [op, a, b] of body) {
    if (op === 'end') depth--;
    let text = op;
    if (op.startsWith('local.')) text += ` ${names[a]}`;
    else if (MEM_OPS.has(op)) text += `${b ? ` offset=${b}` : ''} align=${1 << a}`;
    else if (a !== undefined) text += ` ${a}`;
    lines.push('  '.repeat(depth) + text);
    if (op === 'block' || op === 'loop') depth++;
  }
  lines.push('  )', ')');
  return lines.join('\n') + '\n';
}

const bytes = assemble();
new WebAssembly.Module(bytes); // validates
const b64 = Buffer.from(bytes).toString('base64');
const ts = `// Generated by scripts/gen-crc64-wasm.mjs -- do not edit. Source: src/protocol/wasm/crc64.wat.
// The WebAssembly CRC-64 kernel (${bytes.length} bytes), as base64 so that it ships inside the package
// and loads the same way in browsers and Node (see crc64.ts).

/** Address of the byte-reversed CRC register in the module's memory. */
export const WASM_STATE = 0;
/** Address of the 8 byte-reversed 256-entry tables. */
export const WASM_TABLE_BASE = ${TABLE_BASE};
/** Address of the input scratch area. */
export const WASM_SCRATCH_BASE = ${SCRATCH_BASE};
/** Size of the input scratch area (bytes per call). */
export const WASM_SCRATCH_SIZE = ${SCRATCH_SIZE};
/** The module: exports \`memory\` and \`crc(p, n)\`. */
export const CRC64_WASM_BASE64 =
  '${b64}';
`;
if (process.argv.includes('--check')) {
  const stale = [[WAT, wat()], [TS, ts]].filter(([f, text]) => !fs.existsSync(f) || fs.readFileSync(f, 'utf8') !== text);
  if (stale.length) {
    console.error(`stale: ${stale.map(([f]) => path.relative(ROOT, f)).join(', ')} (run node scripts/gen-crc64-wasm.mjs)`);
    process.exit(1);
  }
  console.log('crc64 wasm: up to date');
} else {
  fs.mkdirSync(path.dirname(WAT), { recursive: true });
  fs.writeFileSync(WAT, wat());
  fs.writeFileSync(TS, ts);
  console.log(`wrote ${path.relative(ROOT, WAT)} and ${path.relative(ROOT, TS)} (${bytes.length}-byte module)`);
}

// Carries i32x4.relaxed_dot_i8x16_i7x16_add_s through emscripten 3.1.6's binaryen 108, which predates the final
// relaxed-SIMD encoding: it reads the final opcode 0xfd 0x113 as its prototype i16x8.dot_i8x16_i7x16_u (two operands,
// so the function is miscompiled), while its own three-operand i32x4.dot_i8x16_i7x16_add_s is 0xfd 0x114.
//
//   node scripts/relaxed-opcode.mjs to-binaryen IN.o OUT.o    clang 16's object: final 0x113 -> binaryen's 0x114
//   node scripts/relaxed-opcode.mjs to-final FILE.wasm N       after wasm-opt: 0x114 -> 0x113; N sites expected
//
// Only code-section bytes change, and only where llvm-objdump (16) decodes an instruction with that encoding, so a
// matching byte sequence inside an immediate or a data segment is never touched; a count mismatch is an error.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

const FINAL = [0xfd, 0x93, 0x02] // 0x113 as the SIMD prefix + LEB128
const BINARYEN_108 = [0xfd, 0x94, 0x02] // 0x114
const CODE_SECTION = 10
const OBJDUMP = process.env.LLVM_OBJDUMP ?? 'llvm-objdump-16'

function leb(bytes, offset) {
  let value = 0
  let shift = 0
  for (;;) {
    const byte = bytes[offset++]
    value += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) return [value, offset]
    shift += 7
  }
}

/** [start, end) of the code section's contents in a wasm module or object. */
function codeSection(bytes) {
  let offset = 8
  while (offset < bytes.length) {
    const id = bytes[offset]
    const [size, start] = leb(bytes, offset + 1)
    if (id === CODE_SECTION) return [start, start + size]
    offset = start + size
  }
  throw new Error('no code section')
}

/** File offsets of the instructions encoded as `pattern`, as llvm-objdump decodes them (offsets are code-relative). */
function instructionSites(file, bytes, pattern) {
  const [start, end] = codeSection(bytes)
  const hex = pattern.map((b) => b.toString(16).padStart(2, '0')).join(' ')
  const out = execFileSync(OBJDUMP, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 30 })
  const sites = []
  for (const line of out.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s((?:[0-9a-f]{2} )+)/.exec(line)
    if (m && m[2].startsWith(`${hex} `)) sites.push(start + parseInt(m[1], 16))
  }
  // every raw occurrence in the code section must be one of them
  let raw = 0
  for (let i = start; i < end - 2; i++) if (pattern.every((b, k) => bytes[i + k] === b)) raw++
  if (raw !== sites.length) {
    throw new Error(`${file}: ${raw} byte matches of ${hex} in code but ${sites.length} decoded instructions`)
  }
  return sites
}

function renumber(inFile, outFile, from, to) {
  const bytes = new Uint8Array(fs.readFileSync(inFile))
  const sites = instructionSites(inFile, bytes, from)
  for (const site of sites) bytes.set(to, site)
  fs.writeFileSync(outFile, bytes)
  return sites.length
}

const [mode, a, b] = process.argv.slice(2)
if (mode === 'to-binaryen') {
  const n = renumber(a, b, FINAL, BINARYEN_108)
  if (n === 0) throw new Error(`${a}: no i32x4.relaxed_dot_i8x16_i7x16_add_s found`)
  console.log(`relaxed-opcode: ${n} relaxed dots in ${a} renumbered for binaryen 108`)
} else if (mode === 'to-final') {
  const n = renumber(a, a, BINARYEN_108, FINAL)
  if (b !== undefined && n !== Number(b)) throw new Error(`${a}: ${n} relaxed dots after wasm-opt, expected ${b}`)
  if (n === 0) throw new Error(`${a}: no relaxed dot left after wasm-opt`)
  console.log(`relaxed-opcode: ${n} relaxed dots in ${a} restored to the final encoding (0xfd 0x113)`)
} else {
  console.error('usage: relaxed-opcode.mjs to-binaryen IN.o OUT.o | to-final FILE.wasm [N]')
  process.exit(2)
}

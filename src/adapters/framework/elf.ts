import { OpmError } from "../../kernel/errors/index.js";

/** One section header of an ELF file. */
export interface ElfSection {
  name: string;
  /** `sh_type` (1 = PROGBITS, 8 = NOBITS, …). */
  type: number;
  /** `sh_size` in bytes (for NOBITS such as `.bss`, the size in memory). */
  size: number;
}

const SHN_XINDEX = 0xffff;

/**
 * The section headers of a little-endian ELF32 or ELF64 file (relocatable object,
 * executable or shared object), in file order, without the null section 0.
 * Throws `invalid_argument` naming the defect for bad magic, big-endian or unknown
 * class, and for any header, section table or name that lies outside the bytes.
 */
export function readSections(elf: Uint8Array): ElfSection[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  need(elf, 0, 16, "ELF identification");
  if (elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) {
    const magic = Array.from(elf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw bad(`bad magic ${magic}, expected 7f 45 4c 46`);
  }
  const elfClass = elf[4];
  if (elfClass !== 1 && elfClass !== 2) throw bad(`unknown ELF class ${elfClass} (1 = ELF32, 2 = ELF64)`);
  if (elf[5] !== 1) throw bad(`data encoding ${elf[5]} is not little-endian (1); big-endian ELF is not supported`);
  const is64 = elfClass === 2;

  need(elf, 0, is64 ? 64 : 52, "ELF header");
  let shoff = is64 ? u64(view, 0x28) : view.getUint32(0x20, true);
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, true);
  let shnum = view.getUint16(is64 ? 0x3c : 0x30, true);
  let shstrndx = view.getUint16(is64 ? 0x3e : 0x32, true);
  if (shoff === 0) return [];
  const minEntry = is64 ? 64 : 40;
  if (shentsize < minEntry) throw bad(`e_shentsize ${shentsize} < ${minEntry}`);

  const header = (i: number): { name: number; type: number; link: number; offset: number; size: number } => {
    const at = shoff + i * shentsize;
    need(elf, at, minEntry, `section header ${i}`);
    return is64
      ? { name: view.getUint32(at, true), type: view.getUint32(at + 4, true), link: view.getUint32(at + 40, true),
          offset: u64(view, at + 24), size: u64(view, at + 32) }
      : { name: view.getUint32(at, true), type: view.getUint32(at + 4, true), link: view.getUint32(at + 24, true),
          offset: view.getUint32(at + 16, true), size: view.getUint32(at + 20, true) };
  };
  // More than 0xff00 sections: the real count and string-table index live in section 0.
  const zero = header(0);
  if (shnum === 0) shnum = zero.size;
  if (shstrndx === SHN_XINDEX) shstrndx = zero.link;
  need(elf, shoff, shnum * shentsize, `section header table (${shnum} × ${shentsize} bytes)`);
  if (shstrndx >= shnum) throw bad(`e_shstrndx ${shstrndx} >= section count ${shnum}`);
  const strtab = header(shstrndx);
  need(elf, strtab.offset, strtab.size, `section name table (section ${shstrndx})`);

  const sections: ElfSection[] = [];
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    if (h.name >= strtab.size) throw bad(`section ${i}: name offset ${h.name} >= name table size ${strtab.size}`);
    const start = strtab.offset + h.name;
    const end = elf.indexOf(0, start);
    if (end < 0 || end >= strtab.offset + strtab.size) throw bad(`section ${i}: name at ${start} is not NUL-terminated`);
    const name = Buffer.from(elf.subarray(start, end)).toString("latin1");
    sections.push({ name, type: h.type, size: h.size });
  }
  return sections;
}

/**
 * Section name → size in bytes, as `size -A` lists them; sections that share a
 * name (COMDAT groups) are summed. Same errors as `readSections`.
 */
export function sectionSizes(elf: Uint8Array): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const s of readSections(elf)) sizes.set(s.name, (sizes.get(s.name) ?? 0) + s.size);
  return sizes;
}

/** Bytes of machine code: the sum of `.text` and every `.text.*` section (`-ffunction-sections`). */
export function textBytes(elf: Uint8Array): number {
  let total = 0;
  for (const s of readSections(elf)) if (s.name === ".text" || s.name.startsWith(".text.")) total += s.size;
  return total;
}

function u64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`64-bit field at offset ${at} is ${value}, too large`);
  return Number(value);
}

function need(elf: Uint8Array, offset: number, length: number, what: string): void {
  if (offset + length > elf.byteLength) {
    throw bad(`truncated: ${what} needs bytes ${offset}..${offset + length} but the file has ${elf.byteLength}`);
  }
}

function bad(message: string): OpmError {
  return new OpmError("invalid_argument", `not a valid ELF file: ${message}`, { field: "elf" });
}

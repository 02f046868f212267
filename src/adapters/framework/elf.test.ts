import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isOpmError } from "../../kernel/errors/index.js";
import { readSections, sectionSizes, textBytes } from "./elf.js";

const dir = mkdtempSync(join(tmpdir(), "opm-elf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = join(dir, "t.c");
writeFileSync(source, "int g[10];\nint f(int n){int s=0;for(int i=0;i<n;i++)s+=g[i]*3;return s;}\nint main(void){return f(5);}\n");

/** Parses `size -A` / `llvm-size -A` output into name → size (the `Total` line dropped). */
function sizeA(tool: string, file: string): Map<string, number> {
  const out = execFileSync(tool, ["-A", file], { encoding: "utf8" });
  const map = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^(\S+)\s+(\d+)\s+\d+\s*$/.exec(line);
    if (m && m[1] !== "Total") map.set(m[1]!, (map.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return map;
}

function build(name: string, tool: string, args: string[]): Uint8Array {
  const out = join(dir, name);
  execFileSync(tool, [...args, source, "-o", out]);
  return readFileSync(out);
}

const cases: Array<[string, string, string[]]> = [
  ["elf64-object.o", "gcc", ["-c", "-Os"]],
  ["elf64-function-sections.o", "gcc", ["-c", "-ffunction-sections"]],
  ["elf64-executable", "gcc", ["-Os"]],
  ["elf32-object.o", "clang", ["--target=i386-linux-gnu", "-c"]],
];

describe("sectionSizes", () => {
  for (const [name, tool, args] of cases) {
    it(`matches llvm-size -A and size -A for ${name}`, () => {
      const bytes = build(name, tool, args);
      const ours = sectionSizes(bytes);
      for (const reference of ["llvm-size", "size"]) {
        const theirs = sizeA(reference, join(dir, name));
        expect(theirs.size).toBeGreaterThan(3);
        for (const [section, size] of theirs) expect([section, ours.get(section)]).toEqual([section, size]);
      }
      const text = [...sizeA("llvm-size", join(dir, name))]
        .filter(([s]) => s === ".text" || s.startsWith(".text."))
        .reduce((sum, [, size]) => sum + size, 0);
      expect(textBytes(bytes)).toBe(text);
      expect(textBytes(bytes)).toBeGreaterThan(0);
    });
  }

  it("sums .text.* sections of -ffunction-sections", () => {
    const sizes = sectionSizes(readFileSync(join(dir, "elf64-function-sections.o")));
    expect(sizes.get(".text.f")).toBeGreaterThan(0);
    expect(sizes.get(".text.main")).toBeGreaterThan(0);
  });
});

describe("readSections rejects", () => {
  const good = () => new Uint8Array(readFileSync(join(dir, "elf64-object.o")));
  const rejects = (bytes: Uint8Array, pattern: RegExp) => {
    try {
      readSections(bytes);
    } catch (err) {
      expect(isOpmError(err, "invalid_argument")).toBe(true);
      expect((err as Error).message).toMatch(pattern);
      return;
    }
    throw new Error("no error");
  };
  it("bad-magic", () => {
    const b = good();
    b[1] = 0x46;
    rejects(b, /bad magic 7f 46 4c 46/);
  });
  it("big-endian", () => {
    const b = good();
    b[5] = 2;
    rejects(b, /not little-endian/);
  });
  it("unknown-class", () => {
    const b = good();
    b[4] = 3;
    rejects(b, /unknown ELF class 3/);
  });
  it("truncated-header", () => rejects(good().subarray(0, 40), /truncated: ELF header needs bytes 0..64 but the file has 40/));
  it("truncated-section-table", () => {
    const b = good();
    rejects(b.subarray(0, b.length - 10), /truncated: section header/);
  });
  it("empty", () => rejects(new Uint8Array(0), /truncated/));
  it("text-file", () => rejects(new TextEncoder().encode("#!/bin/sh\necho hello world\n"), /bad magic 23 21 2f 62/));
});

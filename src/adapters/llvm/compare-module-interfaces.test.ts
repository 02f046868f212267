import { describe, expect, it } from "vitest";
import { compareModuleInterfaces } from "./compare-module-interfaces.js";
import { readModuleInterface } from "./read-module-interface.js";

/** Globals as clang 14 writes them (typed pointers, GEP constant expressions in initializers). */
const BEFORE = `target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"
%struct.entry = type { i8*, i32 }
@.str = private unnamed_addr constant [2 x i8] c"a\\00", align 1
@.str.1 = private unnamed_addr constant [3 x i8] c"bc\\00", align 1
@names = dso_local global [2 x i8*] [i8* getelementptr inbounds ([2 x i8], [2 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([3 x i8], [3 x i8]* @.str.1, i32 0, i32 0)], align 16
@first = dso_local global %struct.entry { i8* getelementptr inbounds ([3 x i8], [3 x i8]* @.str.1, i32 0, i64 1), i32 3 }, align 8
@msg = internal constant [6 x i8] c"world\\00", align 1
@tail = dso_local global i8* getelementptr inbounds ([6 x i8], [6 x i8]* @msg, i32 0, i64 2), align 8
@counter = dso_local global i32 5, align 4
@other = dso_local global i32 5, align 4
@back = dso_local global i32* getelementptr (i32, i32* @counter, i32 -1), align 8
@zeros = dso_local global [3 x i32] zeroinitializer, align 4
@table = dso_local constant { i16, [2 x i8], double } { i16 1, [2 x i8] c"x\\00", double 1.500000e+00 }, align 8
@entry_label = dso_local global i8** getelementptr inbounds (%struct.entry, %struct.entry* @first, i32 0, i32 0), align 8
@entry_count = dso_local global i32* getelementptr inbounds (%struct.entry, %struct.entry* @first, i32 0, i32 1), align 8
@fp = dso_local global void ()* null, align 8
@byte = dso_local global i8 -1, align 1
@later = dso_local global i32 undef, align 4
@dzero = dso_local global double 0.000000e+00, align 8
@ldzero = dso_local global x86_fp80 0xK00000000000000000000, align 16
@counter_alias = dso_local alias i32, i32* @counter
`;

const check = (after: string, before = BEFORE): string[] => compareModuleInterfaces(readModuleInterface(before), readModuleInterface(after));
const edit = (from: string, to: string) => (s: string): string => {
  if (!s.includes(from)) throw new Error(`fixture lacks ${from}`);
  return s.split(from).join(to);
};

describe("compareModuleInterfaces: constants by value", () => {
  it("holds on the module itself", () => {
    expect(check(BEFORE)).toEqual([]);
  });

  it.each([
    // The refusal that motivated this: opt -passes='default<Oz>' rewrote the same GEP with i64 indices.
    ["gep-indices-i32-to-i64", edit("i32 0, i32 0), i8* getelementptr inbounds ([3 x i8], [3 x i8]* @.str.1, i32 0, i32 0)", "i64 0, i64 0), i8* getelementptr inbounds ([3 x i8], [3 x i8]* @.str.1, i64 0, i64 0)")],
    ["gep-index-minus-one-widened", edit("i32* @counter, i32 -1)", "i32* @counter, i64 -1)")],
    ["gep-index-minus-one-as-i8-255", edit("i32* @counter, i32 -1)", "i32* @counter, i8 255)")],
    ["inbounds-dropped", edit("getelementptr inbounds ([6 x i8], [6 x i8]* @msg", "getelementptr ([6 x i8], [6 x i8]* @msg")],
    ["gep-of-gep-flattened", edit("getelementptr inbounds ([6 x i8], [6 x i8]* @msg, i32 0, i64 2)", "getelementptr inbounds (i8, i8* getelementptr inbounds ([6 x i8], [6 x i8]* @msg, i64 0, i64 0), i64 2)")],
    ["gep-as-struct-field-1", edit("i8* getelementptr inbounds ([3 x i8], [3 x i8]* @.str.1, i32 0, i64 1)", "i8* getelementptr inbounds ({ i8, i8, i8 }, { i8, i8, i8 }* bitcast ([3 x i8]* @.str.1 to { i8, i8, i8 }*), i32 0, i32 1)")],
    ["first-field-gep-as-bitcast", edit("getelementptr inbounds (%struct.entry, %struct.entry* @first, i32 0, i32 0)", "bitcast (%struct.entry* @first to i8**)")],
    ["bitcast-chain", edit("getelementptr inbounds (%struct.entry, %struct.entry* @first, i32 0, i32 0)", "bitcast (i8* bitcast (%struct.entry* @first to i8*) to i8**)")],
    ["second-field-by-byte-offset", edit("i32* getelementptr inbounds (%struct.entry, %struct.entry* @first, i32 0, i32 1)", "i32* bitcast (i8* getelementptr inbounds (i8, i8* bitcast (%struct.entry* @first to i8*), i64 8) to i32*)")],
    ["zeroinitializer-spelt-out", edit("[3 x i32] zeroinitializer", "[3 x i32] [i32 0, i32 0, i32 0]")],
    ["string-as-i8-array", edit('[2 x i8] c"x\\00"', "[2 x i8] [i8 120, i8 0]")],
    ["double-in-hex", edit("double 1.500000e+00", "double 0x3FF8000000000000")],
    ["zero-double-as-zeroinitializer", edit("global double 0.000000e+00", "global double zeroinitializer")],
    ["long-double-zero-as-zeroinitializer", edit("x86_fp80 0xK00000000000000000000", "x86_fp80 zeroinitializer")],
    ["minus-one-as-255", edit("global i8 -1", "global i8 255")],
    ["undef-refined-to-a-value", edit("global i32 undef", "global i32 7")],
    ["opaque-pointer-types", edit("global void ()* null", "global ptr null")],
    ["whitespace", edit("{ i16 1, [2 x i8] c", "{i16 1,   [2 x i8] c")],
    ["named-type-renamed", edit("%struct.entry", "%struct.entry.0")],
    ["merged-string-renamed", edit("@.str.1", "@.str.9")],
    ["aliasee-through-bitcasts", edit("alias i32, i32* @counter", "alias i32, i32* bitcast (i8* bitcast (i32* @counter to i8*) to i32*)")],
  ])("accepts %s", (_name, change) => {
    expect(check(change(BEFORE))).toEqual([]);
  });

  it.each([
    ["integer-changed", edit("global i32 5, align 4\n@other", "global i32 6, align 4\n@other"), /@counter: initial value `5` became `6`/],
    ["gep-to-another-element", edit("[3 x i8]* @.str.1, i32 0, i32 0)]", "[3 x i8]* @.str.1, i64 0, i64 1)]"), /@names: initial value .* at \[1\]: .*address @\.str\.1 \+ 0 became @\.str\.1 \+ 1/],
    ["gep-to-another-string", edit("[3 x i8]* @.str.1, i32 0, i32 0)]", "[3 x i8]* bitcast ([2 x i8]* @.str to [3 x i8]*), i32 0, i32 0)]"), /@names: .*at \[1\]: .*@\.str\.1.*became.*@\.str/],
    ["pointed-string-changed", edit('c"bc\\00"', 'c"bd\\00"'), /@names: .*@\.str\.1: initial value `c"bc\\00"` became `c"bd\\00"`/],
    ["another-struct-field", edit("%struct.entry* @first, i32 0, i32 0)", "%struct.entry* @first, i32 0, i32 1)"), /@entry_label: .*address @first \+ 0 became @first \+ 8/],
    ["another-exported-symbol", edit("i32* @counter, i32 -1)", "i32* @other, i32 -1)"), /@back: .*@counter became @other/],
    ["significant-address-renamed", edit("@msg", "@msg.1"), /@tail: .*@msg became @msg\.1, but @msg's address is significant/],
    ["inbounds-added-outside-the-object", edit("getelementptr (i32, i32* @counter, i32 -1)", "getelementptr inbounds (i32, i32* @counter, i32 -1)"), /@back: .*inbounds at @counter \+ -4, outside the object/],
    ["zeroinitializer-to-nonzero", edit("[3 x i32] zeroinitializer", "[3 x i32] [i32 0, i32 1, i32 0]"), /@zeros: initial value/],
    ["zero-to-minus-zero", edit("global double 0.000000e+00", "global double -0.000000e+00"), /@dzero: initial value/],
    ["value-to-undef", edit("global i32 5, align 4\n@other", "global i32 undef, align 4\n@other"), /@counter: initial value `5` became `undef`/],
    ["null-to-pointer", edit("global void ()* null", "global void ()* bitcast (i32* @counter to void ()*)"), /@fp: initial value `null`/],
    ["double-changed", edit("double 1.500000e+00", "double 0x3FF8000000000001"), /@table: .*at \[2\]/],
    ["aliasee-changed", edit("alias i32, i32* @counter", "alias i32, i32* @other"), /@counter_alias: aliasee/],
    ["named-type-body-changed", edit("%struct.entry = type { i8*, i32 }", "%struct.entry = type { i8*, i64 }"), /@first: type `%struct.entry` became `%struct.entry`/],
  ])("refuses %s", (_name, change, message) => {
    expect(check(change(BEFORE)).join("\n")).toMatch(message);
  });

  it("refuses in both directions what is only a refinement one way (undef)", () => {
    expect(check(BEFORE, edit("global i32 undef", "global i32 7")(BEFORE)).join("\n")).toMatch(/@later: initial value `7` became `undef`/);
  });

  it("compares as written what it cannot read, and still refuses a change", () => {
    const odd = BEFORE.replace("@fp = dso_local global void ()* null", "@fp = dso_local global i8* blockaddress(@f, %bb)");
    expect(check(odd, odd)).toEqual([]);
    expect(check(odd.replace("%bb)", "%bb2)"), odd).join("\n")).toMatch(/@fp: initial value `blockaddress\(@f, %bb\)` became `blockaddress\(@f, %bb2\)`/);
  });

  it("compares signatures by meaning: typed and opaque pointers, named types by body", () => {
    const fn = (sig: string): string => `${BEFORE}define dso_local ${sig} {\n  ret void\n}\n`;
    expect(check(fn("void @use(ptr %0, %struct.entry %1)"), fn("void @use(i8* %0, { i8*, i32 } %1)"))).toEqual([]);
    expect(check(fn("void @use(ptr addrspace(1) %0)"), fn("void @use(i8* %0)")).join("\n")).toMatch(/@use: signature `void \(i8\*\)` became `void \(ptr addrspace\(1\)\)`/);
  });
});

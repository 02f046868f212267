//! Stubs for the few libc functions that C compiled to a wasm object imports most
//! (`env.strlen`, `env.memcpy`, `env.printf`…), so that the sandbox can run functions
//! that call them. They work on the sandbox's linear memory with wasm32 addresses
//! (pointers, `size_t`, `int` and `long` are `i32`) and append what a program would
//! print to the run's output, which is compared like memory.
//!
//! Only determinism matters for differential execution (BEFORE and AFTER call the same
//! stubs): `printf` formats the common conversions close to musl but does not promise
//! byte-identical output, and it refuses (`Unsupported`) what it cannot format rather
//! than guess (`%n`, `%a`, `L` long double). Every read or write outside linear memory
//! traps with `heap_oob`, as the real function would fault.

use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::TrapCode;

/// Functions of module `env` that have a stub.
pub const STUBBED: &[&str] =
    &["strlen", "memcpy", "memmove", "memset", "memcmp", "strcmp", "strncmp", "strcpy", "putchar", "puts", "printf", "abs"];

/// Bytes a run may print before it is stopped (`Unsupported`).
pub const MAX_OUTPUT: usize = 1 << 20;

/// Why a stub did not return normally.
#[derive(Debug, Clone, PartialEq)]
pub enum StubFault {
    /// The real function would fault: becomes the run's trap.
    Trap(TrapCode),
    /// The stub cannot model this call: the run is not covered.
    Unsupported(String),
}

/// What a stub call returned and how much fuel it costs (1 + bytes touched / 16).
#[derive(Debug, Clone, PartialEq)]
pub struct StubReturn {
    pub values: Vec<DataValue>,
    pub cost: u64,
}

type StubResult = Result<StubReturn, StubFault>;

/// Runs the stub for import `import` (`module.field`) on `args` (the wasm arguments
/// followed by `vmctx`), or returns `None` when there is no stub for it.
pub fn call_stub(import: &str, args: &[DataValue], mem: &mut [u8], out: &mut Vec<u8>) -> Option<StubResult> {
    let field = import.strip_prefix("env.")?;
    if !STUBBED.contains(&field) {
        return None;
    }
    let a = |i: usize| -> Result<u32, StubFault> {
        match args.get(i) {
            Some(DataValue::I32(x)) => Ok(*x as u32),
            other => Err(StubFault::Unsupported(format!("{import}: argument {i} is {other:?}, expected i32"))),
        }
    };
    Some((|| -> StubResult {
        let mut m = Mem(mem);
        match field {
            "strlen" => {
                let n = m.cstr_len(a(0)?)?;
                ret_i32(n as i32, n)
            }
            "memcpy" | "memmove" => {
                let (d, s, n) = (a(0)?, a(1)?, a(2)?);
                let bytes = m.slice(s, n)?.to_vec();
                m.slice_mut(d, n)?.copy_from_slice(&bytes);
                ret_i32(d as i32, n)
            }
            "memset" => {
                let (d, c, n) = (a(0)?, a(1)?, a(2)?);
                m.slice_mut(d, n)?.fill(c as u8);
                ret_i32(d as i32, n)
            }
            "memcmp" => {
                let (l, r, n) = (a(0)?, a(1)?, a(2)?);
                let (x, y) = (m.slice(l, n)?, m.slice(r, n)?);
                let diff = x.iter().zip(y).find(|(p, q)| p != q).map(|(p, q)| *p as i32 - *q as i32).unwrap_or(0);
                ret_i32(diff, n)
            }
            "strcmp" | "strncmp" => {
                let limit = if field == "strncmp" { a(2)? } else { u32::MAX };
                let (l, r) = (a(0)?, a(1)?);
                let mut i = 0u32;
                let diff = loop {
                    if i >= limit {
                        break 0;
                    }
                    let (p, q) = (m.byte(l.wrapping_add(i))?, m.byte(r.wrapping_add(i))?);
                    if p != q || p == 0 {
                        break p as i32 - q as i32;
                    }
                    i += 1;
                };
                ret_i32(diff, i)
            }
            "strcpy" => {
                let (d, s) = (a(0)?, a(1)?);
                let n = m.cstr_len(s)? + 1;
                let bytes = m.slice(s, n)?.to_vec();
                m.slice_mut(d, n)?.copy_from_slice(&bytes);
                ret_i32(d as i32, n)
            }
            "abs" => ret_i32((a(0)? as i32).wrapping_abs(), 0),
            "putchar" => {
                let c = a(0)? as u8;
                emit(out, &[c])?;
                ret_i32(c as i32, 1)
            }
            "puts" => {
                let s = a(0)?;
                let n = m.cstr_len(s)?;
                let mut line = m.slice(s, n)?.to_vec();
                line.push(b'\n');
                emit(out, &line)?;
                ret_i32(0, n)
            }
            "printf" => {
                let text = format_printf(&m, a(0)?, a(1)?)?;
                emit(out, &text)?;
                ret_i32(text.len() as i32, text.len() as u32)
            }
            _ => unreachable!("STUBBED and call_stub disagree on {field}"),
        }
    })())
}

fn ret_i32(v: i32, touched: u32) -> StubResult {
    Ok(StubReturn { values: vec![DataValue::I32(v)], cost: 1 + touched as u64 / 16 })
}

fn emit(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), StubFault> {
    if out.len() + bytes.len() > MAX_OUTPUT {
        return Err(StubFault::Unsupported(format!("the run printed more than {MAX_OUTPUT} bytes")));
    }
    out.extend_from_slice(bytes);
    Ok(())
}

const OOB: StubFault = StubFault::Trap(TrapCode::HeapOutOfBounds);

/// Linear memory seen through wasm32 addresses.
struct Mem<'m>(&'m mut [u8]);

impl Mem<'_> {
    fn slice(&self, addr: u32, len: u32) -> Result<&[u8], StubFault> {
        let end = addr as usize + len as usize;
        self.0.get(addr as usize..end).ok_or(OOB)
    }
    fn slice_mut(&mut self, addr: u32, len: u32) -> Result<&mut [u8], StubFault> {
        let end = addr as usize + len as usize;
        self.0.get_mut(addr as usize..end).ok_or(OOB)
    }
    fn byte(&self, addr: u32) -> Result<u8, StubFault> {
        self.0.get(addr as usize).copied().ok_or(OOB)
    }
    fn cstr_len(&self, addr: u32) -> Result<u32, StubFault> {
        let tail = self.0.get(addr as usize..).ok_or(OOB)?;
        tail.iter().position(|b| *b == 0).map(|n| n as u32).ok_or(OOB)
    }
    fn u32_at(&self, addr: u32) -> Result<u32, StubFault> {
        Ok(u32::from_le_bytes(self.slice(addr, 4)?.try_into().expect("4 bytes")))
    }
    fn u64_at(&self, addr: u32) -> Result<u64, StubFault> {
        Ok(u64::from_le_bytes(self.slice(addr, 8)?.try_into().expect("8 bytes")))
    }
}

/// Reads wasm32 C varargs: 4-byte slots for `int`/`long`/pointers, 8-byte aligned
/// slots for `long long` and `double`.
struct VaList<'a, 'm> {
    mem: &'a Mem<'m>,
    at: u32,
}

impl VaList<'_, '_> {
    fn next32(&mut self) -> Result<u32, StubFault> {
        self.at = (self.at + 3) & !3;
        let v = self.mem.u32_at(self.at)?;
        self.at = self.at.wrapping_add(4);
        Ok(v)
    }
    fn next64(&mut self) -> Result<u64, StubFault> {
        self.at = (self.at + 7) & !7;
        let v = self.mem.u64_at(self.at)?;
        self.at = self.at.wrapping_add(8);
        Ok(v)
    }
}

/// `printf(fmt, va)` as wasm32 clang calls it (the varargs are a buffer at `va`).
fn format_printf(m: &Mem, fmt: u32, va: u32) -> Result<Vec<u8>, StubFault> {
    let n = m.cstr_len(fmt)?;
    let f = m.slice(fmt, n)?.to_vec();
    let mut args = VaList { mem: m, at: va };
    let mut out = Vec::new();
    let mut i = 0;
    let unsupported = |what: &str| StubFault::Unsupported(format!("printf: cannot format {what}"));
    while i < f.len() {
        if f[i] != b'%' {
            out.push(f[i]);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let (mut left, mut plus, mut space, mut alt, mut zero) = (false, false, false, false, false);
        while i < f.len() {
            match f[i] {
                b'-' => left = true,
                b'+' => plus = true,
                b' ' => space = true,
                b'#' => alt = true,
                b'0' => zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut width: usize = 0;
        if f.get(i) == Some(&b'*') {
            let w = args.next32()? as i32;
            if w < 0 {
                left = true;
            }
            width = w.unsigned_abs() as usize;
            i += 1;
        } else {
            while let Some(d @ b'0'..=b'9') = f.get(i) {
                width = width.saturating_mul(10).saturating_add((d - b'0') as usize);
                i += 1;
            }
        }
        let mut precision: Option<usize> = None;
        if f.get(i) == Some(&b'.') {
            i += 1;
            if f.get(i) == Some(&b'*') {
                let p = args.next32()? as i32;
                precision = (p >= 0).then_some(p as usize);
                i += 1;
            } else {
                let mut p = 0usize;
                while let Some(d @ b'0'..=b'9') = f.get(i) {
                    p = p.saturating_mul(10).saturating_add((d - b'0') as usize);
                    i += 1;
                }
                precision = Some(p);
            }
        }
        if width > 4096 || precision.unwrap_or(0) > 4096 {
            return Err(unsupported("a width or precision over 4096"));
        }
        let mut long_long = false;
        let mut half = 0; // 1 = h, 2 = hh
        loop {
            match f.get(i) {
                Some(b'l') if f.get(i + 1) == Some(&b'l') => {
                    long_long = true;
                    i += 2;
                }
                Some(b'j') | Some(b'q') => {
                    long_long = true;
                    i += 1;
                }
                Some(b'l') | Some(b'z') | Some(b't') => i += 1,
                Some(b'h') if f.get(i + 1) == Some(&b'h') => {
                    half = 2;
                    i += 2;
                }
                Some(b'h') => {
                    half = 1;
                    i += 1;
                }
                Some(b'L') => return Err(unsupported("long double (`L`)")),
                _ => break,
            }
        }
        let Some(&conv) = f.get(i) else { return Err(unsupported("a format ending in `%`")) };
        i += 1;
        let spec = String::from_utf8_lossy(&f[start..i]).into_owned();
        let body: Vec<u8>;
        let mut numeric_zero_pad = zero && !left;
        match conv {
            b'%' => {
                out.push(b'%');
                continue;
            }
            b'd' | b'i' | b'u' | b'x' | b'X' | b'o' => {
                let raw = if long_long { args.next64()? } else { args.next32()? as u64 };
                let signed = matches!(conv, b'd' | b'i');
                let (neg, mag) = if signed {
                    let v: i64 = match (long_long, half) {
                        (true, _) => raw as i64,
                        (false, 2) => raw as u8 as i8 as i64,
                        (false, 1) => raw as u16 as i16 as i64,
                        _ => raw as u32 as i32 as i64,
                    };
                    (v < 0, v.unsigned_abs())
                } else {
                    let v = match (long_long, half) {
                        (true, _) => raw,
                        (false, 2) => raw as u8 as u64,
                        (false, 1) => raw as u16 as u64,
                        _ => raw as u32 as u64,
                    };
                    (false, v)
                };
                let mut digits = match conv {
                    b'x' => format!("{mag:x}"),
                    b'X' => format!("{mag:X}"),
                    b'o' => format!("{mag:o}"),
                    _ => mag.to_string(),
                };
                if precision == Some(0) && mag == 0 {
                    digits.clear();
                }
                if let Some(p) = precision {
                    numeric_zero_pad = false;
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                }
                let prefix = match conv {
                    b'x' if alt && mag != 0 => "0x",
                    b'X' if alt && mag != 0 => "0X",
                    b'o' if alt && !digits.starts_with('0') => "0",
                    _ if neg => "-",
                    b'd' | b'i' if plus => "+",
                    b'd' | b'i' if space => " ",
                    _ => "",
                };
                body = pad_number(prefix, &digits, width, left, numeric_zero_pad);
            }
            b'c' => {
                body = pad_text(&[args.next32()? as u8], width, left);
            }
            b's' => {
                let s = args.next32()?;
                let mut len = m.cstr_len(s)? as usize;
                if let Some(p) = precision {
                    len = len.min(p);
                }
                body = pad_text(m.slice(s, len as u32)?, width, left);
            }
            b'p' => {
                let p = args.next32()?;
                body = pad_number("0x", &format!("{p:x}"), width, left, false);
            }
            b'f' | b'F' | b'e' | b'E' | b'g' | b'G' => {
                let x = f64::from_bits(args.next64()?);
                let text = format_float(x, conv, precision.unwrap_or(6), alt);
                let (sign, digits) = match text.strip_prefix('-') {
                    Some(rest) => ("-", rest.to_string()),
                    None if plus => ("+", text),
                    None if space => (" ", text),
                    None => ("", text),
                };
                let finite = x.is_finite();
                body = pad_number(sign, &digits, width, left, numeric_zero_pad && finite);
            }
            _ => return Err(unsupported(&format!("conversion `{spec}`"))),
        }
        out.extend_from_slice(&body);
    }
    Ok(out)
}

fn pad_text(text: &[u8], width: usize, left: bool) -> Vec<u8> {
    let fill = width.saturating_sub(text.len());
    let mut v = Vec::with_capacity(text.len() + fill);
    if !left {
        v.resize(fill, b' ');
    }
    v.extend_from_slice(text);
    if left {
        v.resize(v.len() + fill, b' ');
    }
    v
}

fn pad_number(prefix: &str, digits: &str, width: usize, left: bool, zero: bool) -> Vec<u8> {
    let len = prefix.len() + digits.len();
    if zero && len < width {
        let mut s = prefix.to_string();
        s.push_str(&"0".repeat(width - len));
        s.push_str(digits);
        return s.into_bytes();
    }
    pad_text(format!("{prefix}{digits}").as_bytes(), width, left)
}

/// `%f`, `%e`, `%g` (and upper-case forms) of one double.
fn format_float(x: f64, conv: u8, precision: usize, alt: bool) -> String {
    let upper = conv.is_ascii_uppercase();
    let text = if x.is_nan() {
        if x.is_sign_negative() { "-nan".to_string() } else { "nan".to_string() }
    } else if x.is_infinite() {
        if x < 0.0 { "-inf".to_string() } else { "inf".to_string() }
    } else {
        match conv.to_ascii_lowercase() {
            b'f' => format!("{x:.precision$}"),
            b'e' => c_exponent(&format!("{x:.precision$e}")),
            _ => {
                let p = precision.max(1);
                let exp = if x == 0.0 { 0 } else { format!("{x:.prec$e}", prec = p - 1).split('e').nth(1).and_then(|e| e.parse::<i32>().ok()).unwrap_or(0) };
                let mut s = if exp < -4 || exp >= p as i32 {
                    c_exponent(&format!("{x:.prec$e}", prec = p - 1))
                } else {
                    let decimals = (p as i32 - 1 - exp).max(0) as usize;
                    format!("{x:.decimals$}")
                };
                if !alt {
                    s = strip_fraction_zeros(&s);
                }
                s
            }
        }
    };
    if upper { text.to_uppercase() } else { text }
}

/// Rust's `1.5e2` → C's `1.5e+02`.
fn c_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s.to_string(),
    }
}

/// `%g` drops trailing zeros of the fraction (and a trailing point).
fn strip_fraction_zeros(s: &str) -> String {
    let (mantissa, exp) = match s.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa = if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
    match exp {
        Some(e) => format!("{mantissa}e{e}"),
        None => mantissa.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory_with(strings: &[(u32, &[u8])]) -> Vec<u8> {
        let mut mem = vec![0u8; 4096];
        for (at, bytes) in strings {
            mem[*at as usize..*at as usize + bytes.len()].copy_from_slice(bytes);
        }
        mem
    }

    fn call(import: &str, args: &[i32], mem: &mut [u8], out: &mut Vec<u8>) -> StubResult {
        let mut dv: Vec<DataValue> = args.iter().map(|a| DataValue::I32(*a)).collect();
        dv.push(DataValue::I64(0)); // vmctx
        call_stub(import, &dv, mem, out).expect("stubbed")
    }

    #[test]
    fn printf_formats_common_conversions() {
        let mut mem = memory_with(&[(100, b"%d|%5u|%-4x|%08.3f|%s|%c|%lld|%%|%.2e|%g\0"), (200, b"hi\0")]);
        let va = 512u32;
        let mut put = |at: u32, bytes: &[u8]| mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        put(va, &(-42i32).to_le_bytes());
        put(va + 4, &7u32.to_le_bytes());
        put(va + 8, &255u32.to_le_bytes());
        put(va + 16, &3.14159f64.to_le_bytes()); // 8-aligned
        put(va + 24, &200u32.to_le_bytes());
        put(va + 28, &(b'Z' as u32).to_le_bytes());
        put(va + 32, &(-5i64).to_le_bytes());
        put(va + 40, &12345.678f64.to_le_bytes());
        put(va + 48, &0.0001f64.to_le_bytes());
        let mut out = Vec::new();
        let r = call("env.printf", &[100, va as i32], &mut mem, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "-42|    7|ff  |0003.142|hi|Z|-5|%|1.23e+04|0.0001");
        assert_eq!(r.values, vec![DataValue::I32(text.len() as i32)]);
    }

    #[test]
    fn memory_stubs_work_on_linear_memory_and_trap_outside_it() {
        let mut mem = memory_with(&[(10, b"abc\0"), (20, b"abd\0")]);
        let mut out = Vec::new();
        assert_eq!(call("env.strlen", &[10], &mut mem, &mut out).unwrap().values, vec![DataValue::I32(3)]);
        assert_eq!(call("env.memcmp", &[10, 20, 3], &mut mem, &mut out).unwrap().values, vec![DataValue::I32(-1)]);
        call("env.memcpy", &[30, 10, 4], &mut mem, &mut out).unwrap();
        assert_eq!(&mem[30..34], b"abc\0");
        call("env.memset", &[30, 0x41, 2], &mut mem, &mut out).unwrap();
        assert_eq!(&mem[30..34], b"AAc\0");
        assert_eq!(call("env.memset", &[4000, 0, 200], &mut mem, &mut out), Err(StubFault::Trap(TrapCode::HeapOutOfBounds)));
        call("env.putchar", &[b'!' as i32], &mut mem, &mut out).unwrap();
        assert_eq!(out, b"!");
        assert!(call_stub("env.malloc", &[], &mut mem, &mut out).is_none());
        assert!(call_stub("wasi.printf", &[], &mut mem, &mut out).is_none());
    }

    #[test]
    fn printf_refuses_what_it_cannot_format() {
        let mut mem = memory_with(&[(100, b"%n\0")]);
        let mut out = Vec::new();
        assert!(matches!(call("env.printf", &[100, 512], &mut mem, &mut out), Err(StubFault::Unsupported(_))));
    }
}

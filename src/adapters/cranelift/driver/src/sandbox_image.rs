//! The initial state of every sandboxed run (`sandbox.rs`): linear memory, the vmctx
//! block and the address layout, built from a wasm module's `ModuleLayout`.

use cranelift_codegen::data_value::DataValue;

use crate::module_layout::ModuleLayout;

/// Flat address of the CLIF stack slots (below 2^30: also a valid 32-bit address).
pub const STACK_BASE: u64 = 0x2000_0000;
/// Flat address of linear memory 0 (wasm address 0).
pub const HEAP_BASE: u64 = 0x1_0000_0000;
/// Flat address of the vmctx block (the value of every `vmctx` argument).
pub const VMCTX_BASE: u64 = 0x100_0000_0000;
/// Wasm page size.
pub const PAGE: u64 = 65536;
/// Linear memory is at most this many pages (16 MiB), whatever the request says.
pub const MAX_PAGES: u64 = 256;
/// Pages of stack below the top of memory that the default size leaves (128 KiB).
pub const STACK_PAGES: u64 = 2;
/// Bytes of the pointer-probe arena after the data (64 KiB).
pub const ARENA_BYTES: u64 = PAGE;
/// vmctx slots for CLIF input, where the number of globals is unknown.
pub const CLIF_GLOBAL_SLOTS: usize = 64;

/// The initial state every run starts from: linear memory, vmctx, import names.
#[derive(Debug, Clone)]
pub struct SandboxImage {
    pub memory: Vec<u8>,
    pub vmctx: Vec<u8>,
    /// Initial value of the stack-pointer global (the top of memory).
    pub stack_pointer: u32,
    /// `[start, end)` of memory where pointer probes point (seeded bytes, after the data).
    pub arena: (u32, u32),
    /// End of the loaded data segments (0 without).
    pub data_end: u32,
    /// `module.field` of imported functions by wasm function index.
    pub imports: Vec<String>,
    /// Name of each vmctx global slot for evidence (`env.__stack_pointer`, `global 1`).
    pub global_names: Vec<String>,
    /// Types of the globals (`i32`…); `?` for CLIF input.
    pub global_types: Vec<String>,
    /// Table 0: wasm function index at each table index (from element segments).
    pub table: Vec<Option<u32>>,
    /// Data segments not loaded (non-constant offset) or cut at the end of memory.
    pub skipped_segments: usize,
    pub seed: u64,
}

impl SandboxImage {
    /// Lays out the sandbox for `layout` (empty for CLIF input): `pages` of memory
    /// (default: the data, a 64 KiB arena and 128 KiB of stack, in whole pages; at most
    /// `MAX_PAGES`) filled from `seed` with SplitMix64, then the active data segments —
    /// all of them, or with `random_bss` only those with a non-zero byte, so that
    /// zero-initialised variables (`.bss`) hold seeded bytes too; globals from the
    /// module (the imported `__stack_pointer`, or every slot for CLIF input, = the top
    /// of memory; other imports 0; defined globals their initialiser).
    pub fn new(layout: &ModuleLayout, seed: u64, pages: Option<u64>, random_bss: bool) -> SandboxImage {
        let data_end = layout.data_end().min(MAX_PAGES * PAGE);
        let arena_start = align_up(data_end.max(1024), 16);
        let default_pages = (align_up(arena_start + ARENA_BYTES, PAGE) / PAGE + STACK_PAGES).max(layout.memory_min_pages.unwrap_or(0));
        let pages = pages.unwrap_or(default_pages).clamp(1, MAX_PAGES);
        let size = (pages * PAGE) as usize;
        let mut memory = vec![0u8; size];
        let mut rng = SplitMix64(seed);
        for chunk in memory.chunks_mut(8) {
            let r = rng.next().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        let mut skipped = layout.skipped_segments;
        for seg in &layout.data {
            if random_bss && seg.bytes.iter().all(|b| *b == 0) {
                continue;
            }
            let start = seg.offset as usize;
            match memory.get_mut(start..start + seg.bytes.len()) {
                Some(dst) => dst.copy_from_slice(&seg.bytes),
                None => skipped += 1,
            }
        }
        let stack_pointer = (size as u64).min(u32::MAX as u64) as u32;
        let (names, types, values): (Vec<String>, Vec<String>, Vec<u64>) = if layout.is_wasm {
            let mut names = Vec::new();
            let mut types = Vec::new();
            let mut values = Vec::new();
            for (i, g) in layout.globals.iter().enumerate() {
                let value = match &g.import {
                    Some(name) if name.ends_with(".__stack_pointer") => stack_pointer as u64,
                    Some(_) => 0,
                    None => g.init_bits,
                };
                names.push(g.import.clone().unwrap_or_else(|| format!("global {i}")));
                types.push(g.ty.clone());
                values.push(value);
            }
            (names, types, values)
        } else {
            let n = CLIF_GLOBAL_SLOTS;
            ((0..n).map(|i| format!("global {i}")).collect(), vec!["?".to_string(); n], vec![stack_pointer as u64; n])
        };
        let mut vmctx = vec![0u8; 8 + 8 * values.len().max(1)];
        vmctx[..8].copy_from_slice(&HEAP_BASE.to_le_bytes());
        for (i, v) in values.iter().enumerate() {
            vmctx[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        let arena_end = (arena_start + ARENA_BYTES).min(size as u64);
        let mut table = Vec::new();
        for &(index, func) in &layout.table {
            if (index as usize) < 1 << 16 {
                if table.len() <= index as usize {
                    table.resize(index as usize + 1, None);
                }
                table[index as usize] = Some(func);
            }
        }
        SandboxImage {
            memory,
            vmctx,
            stack_pointer,
            arena: (arena_start.min(arena_end) as u32, arena_end as u32),
            data_end: data_end as u32,
            imports: layout.func_imports.clone(),
            table,
            global_names: names,
            global_types: types,
            skipped_segments: skipped,
            seed,
        }
    }

    /// The vmctx value passed to every function (`i64`).
    pub fn vmctx_value() -> DataValue {
        DataValue::I64(VMCTX_BASE as i64)
    }
}

fn align_up(x: u64, to: u64) -> u64 {
    x.div_ceil(to) * to
}

/// SplitMix64: the seeded generator of memory contents and probe arguments.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, n)` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

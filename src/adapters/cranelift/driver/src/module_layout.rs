//! What the sandbox of the `differential` op needs to know about a wasm module besides
//! its CLIF: imported function names (for the libc stubs), globals and their initial
//! values, active data segments, and the object file's symbol names (for evidence).
//!
//! The vendored `DummyEnvironment` (`wasm_env.rs`) discards all of this, so it is read
//! here straight from the binary with `wasmparser` (the one `cranelift-wasm` links).
//! CLIF input has no module: [`ModuleLayout::default`] then describes nothing and the
//! sandbox falls back to its CLIF defaults (see `sandbox.rs`).

use cranelift_wasm::wasmparser::{
    DataKind, ElementItems, ElementKind, KnownCustom, Linking, Operator, Parser, Payload, SymbolInfo, TypeRef, ValType,
};

/// A wasm global as the sandbox initialises its `vmctx` slot.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalInfo {
    /// `i32`, `i64`, `f32`, `f64` or another wasm value type name.
    pub ty: String,
    /// `module.field` for an imported global (`env.__stack_pointer`), `None` if defined.
    pub import: Option<String>,
    /// Bits of the constant initialiser of a defined global (0 when not a constant).
    pub init_bits: u64,
}

/// One active data segment at a constant offset of memory 0.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSegment {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// The parts of a wasm module the sandbox uses. Index spaces are wasm's: imported
/// functions and globals come first.
#[derive(Debug, Clone, Default)]
pub struct ModuleLayout {
    /// True when this describes a wasm module (false: CLIF input, nothing known).
    pub is_wasm: bool,
    /// `module.field` of each imported function, by wasm function index.
    pub func_imports: Vec<String>,
    pub globals: Vec<GlobalInfo>,
    pub data: Vec<DataSegment>,
    /// Data segments whose offset is not a constant (`global.get`-relative, PIC): not loaded.
    pub skipped_segments: usize,
    /// Minimum pages of the declared or imported memory 0, if any.
    pub memory_min_pages: Option<u64>,
    /// Function symbol names from an object file's `linking` section, by wasm function index.
    pub func_symbols: Vec<(u32, String)>,
    /// Table 0 entries from active element segments at constant offsets:
    /// (table index, wasm function index). A clang object file lists its address-taken
    /// functions this way, from index 1.
    pub table: Vec<(u32, u32)>,
}

impl ModuleLayout {
    /// Reads a wasm binary (already validated by `translate_module`). Errors are
    /// `wasmparser` messages.
    pub fn from_wasm(bytes: &[u8]) -> Result<ModuleLayout, String> {
        let mut m = ModuleLayout { is_wasm: true, ..ModuleLayout::default() };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| e.to_string())? {
                Payload::ImportSection(reader) => {
                    for import in reader {
                        let import = import.map_err(|e| e.to_string())?;
                        let name = format!("{}.{}", import.module, import.name);
                        match import.ty {
                            TypeRef::Func(_) => m.func_imports.push(name),
                            TypeRef::Global(g) => m.globals.push(GlobalInfo {
                                ty: val_type_name(g.content_type),
                                import: Some(name),
                                init_bits: 0,
                            }),
                            TypeRef::Memory(mem) => {
                                m.memory_min_pages.get_or_insert(mem.initial);
                            }
                            _ => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => {
                    for mem in reader {
                        let mem = mem.map_err(|e| e.to_string())?;
                        m.memory_min_pages.get_or_insert(mem.initial);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for g in reader {
                        let g = g.map_err(|e| e.to_string())?;
                        m.globals.push(GlobalInfo {
                            ty: val_type_name(g.ty.content_type),
                            import: None,
                            init_bits: const_bits(g.init_expr.get_operators_reader()).unwrap_or(0),
                        });
                    }
                }
                Payload::DataSection(reader) => {
                    for d in reader {
                        let d = d.map_err(|e| e.to_string())?;
                        match d.kind {
                            DataKind::Active { memory_index: 0, offset_expr } => {
                                match const_bits(offset_expr.get_operators_reader()) {
                                    Some(offset) => m.data.push(DataSegment {
                                        offset: offset & 0xffff_ffff,
                                        bytes: d.data.to_vec(),
                                    }),
                                    None => m.skipped_segments += 1,
                                }
                            }
                            _ => m.skipped_segments += 1,
                        }
                    }
                }
                Payload::ElementSection(reader) => {
                    for e in reader {
                        let e = e.map_err(|e| e.to_string())?;
                        let ElementKind::Active { table_index: None | Some(0), offset_expr } = e.kind else { continue };
                        let (Some(offset), ElementItems::Functions(funcs)) = (const_bits(offset_expr.get_operators_reader()), e.items) else {
                            continue;
                        };
                        for (i, f) in funcs.into_iter().enumerate() {
                            m.table.push((offset as u32 + i as u32, f.map_err(|e| e.to_string())?));
                        }
                    }
                }
                Payload::CustomSection(section) => {
                    if let KnownCustom::Linking(reader) = section.as_known() {
                        for sub in reader.subsections() {
                            // A malformed linking section only costs names in evidence.
                            let Ok(Linking::SymbolTable(symbols)) = sub else { continue };
                            for sym in symbols.into_iter().flatten() {
                                if let SymbolInfo::Func { index, name: Some(name), .. } = sym {
                                    m.func_symbols.push((index, name.to_string()));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(m)
    }

    /// The object-file symbol name of wasm function `index`, if any.
    pub fn symbol_of(&self, index: u32) -> Option<&str> {
        self.func_symbols.iter().find(|(i, _)| *i == index).map(|(_, n)| n.as_str())
    }

    /// End (exclusive) of the highest data segment, 0 without data.
    pub fn data_end(&self) -> u64 {
        self.data.iter().map(|s| s.offset + s.bytes.len() as u64).max().unwrap_or(0)
    }
}

fn val_type_name(t: ValType) -> String {
    match t {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The bits of a one-instruction constant expression (`i32.const`, `i64.const`,
/// `f32.const`, `f64.const`); `None` for anything else (`global.get`, `ref.*`…).
fn const_bits(mut ops: cranelift_wasm::wasmparser::OperatorsReader) -> Option<u64> {
    let bits = match ops.read().ok()? {
        Operator::I32Const { value } => value as u32 as u64,
        Operator::I64Const { value } => value as u64,
        Operator::F32Const { value } => value.bits() as u64,
        Operator::F64Const { value } => value.bits(),
        _ => return None,
    };
    match ops.read().ok()? {
        Operator::End => Some(bits),
        _ => None,
    }
}

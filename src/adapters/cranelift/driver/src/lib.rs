//! OpenPassMarket Cranelift driver.
//!
//! A JSON-lines request/response engine over the real, published Cranelift 0.112
//! crates. `main.rs` feeds it one line of stdin at a time; every call of
//! [`handle_line`] returns exactly one line of JSON (never panics: panics inside
//! Cranelift are caught and reported as `internal_panic`). See `PROTOCOL.md`.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use base64::Engine as _;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{self, Function};
use cranelift_codegen::isa::{self, OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable, SettingKind};
use cranelift_codegen::{verify_function, CodegenError, Context};
use cranelift_interpreter::environment::FunctionStore;
use cranelift_interpreter::interpreter::{Interpreter, InterpreterError, InterpreterState};
use cranelift_interpreter::step::ControlFlow;

pub mod libc_stubs;
pub mod module_layout;
pub mod sandbox;
pub mod sandbox_image;
pub mod wasm_env;
mod differential;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Version of the JSON-lines protocol spoken by this driver.
pub const PROTOCOL_VERSION: u64 = 1;
/// The only code-generation target of this driver.
pub const TARGET: &str = "x86_64";
/// Default interpreter fuel (instructions) for the `interpret` op.
pub const DEFAULT_FUEL: u64 = 1_000_000;

/// Crate versions as resolved in Cargo.lock (read by build.rs).
pub const CRANELIFT_CODEGEN_VERSION: &str = env!("OPM_VERSION_CRANELIFT_CODEGEN");
pub const CRANELIFT_READER_VERSION: &str = env!("OPM_VERSION_CRANELIFT_READER");
pub const CRANELIFT_FRONTEND_VERSION: &str = env!("OPM_VERSION_CRANELIFT_FRONTEND");
pub const CRANELIFT_WASM_VERSION: &str = env!("OPM_VERSION_CRANELIFT_WASM");
pub const CRANELIFT_INTERPRETER_VERSION: &str = env!("OPM_VERSION_CRANELIFT_INTERPRETER");
pub const WASMPARSER_VERSION: &str = env!("OPM_VERSION_WASMPARSER");

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A protocol-level failure: becomes `{"ok":false,"error":{code,message,...}}`.
#[derive(Debug, Clone)]
pub struct DriverError {
    pub code: &'static str,
    pub message: String,
    pub details: Map<String, Value>,
}

impl DriverError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        DriverError { code, message: message.into(), details: Map::new() }
    }
    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }
}

type R<T> = Result<T, DriverError>;

// ---------------------------------------------------------------------------
// Steps (the real public transforms of cranelift_codegen::Context, 0.112)
// ---------------------------------------------------------------------------

/// One orderable step; each maps to exactly one public Cranelift API call.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    pub name: &'static str,
    /// The Cranelift call this step performs.
    pub api: &'static str,
    pub description: &'static str,
    /// Analyses the step needs; the driver recomputes them fresh right before the step.
    pub prerequisites: &'static [&'static str],
    /// False only for transforms that may change observable results (NaN bit patterns).
    pub semantics_preserving: bool,
}

pub const STEPS: &[StepInfo] = &[
    StepInfo {
        name: "legalize",
        api: "cranelift_codegen::Context::legalize",
        description: "Run the ISA legalizer (simple_legalize): expand global_value, stack_load/stack_store, table_addr and similar into target-supported instructions.",
        prerequisites: &["cfg"],
        semantics_preserving: true,
    },
    StepInfo {
        name: "eliminate_unreachable_code",
        api: "cranelift_codegen::Context::eliminate_unreachable_code",
        description: "Remove blocks that are unreachable from the entry block (according to the dominator tree).",
        prerequisites: &["cfg", "domtree"],
        semantics_preserving: true,
    },
    StepInfo {
        name: "remove_constant_phis",
        api: "cranelift_codegen::Context::remove_constant_phis",
        description: "Remove block parameters ('phis') that always receive the same value, replacing uses with that value.",
        prerequisites: &["cfg", "domtree"],
        semantics_preserving: true,
    },
    StepInfo {
        name: "resolve_all_aliases",
        api: "cranelift_codegen::ir::DataFlowGraph::resolve_all_aliases",
        description: "Replace every use of a value alias by its original value and drop the aliases.",
        prerequisites: &[],
        semantics_preserving: true,
    },
    StepInfo {
        name: "replace_redundant_loads",
        api: "cranelift_codegen::Context::replace_redundant_loads",
        description: "Alias analysis: replace loads whose value is already known (redundant load elimination and store-to-load forwarding).",
        prerequisites: &["cfg", "domtree"],
        semantics_preserving: true,
    },
    StepInfo {
        name: "egraph_pass",
        api: "cranelift_codegen::Context::egraph_pass",
        description: "Cranelift's mid-end optimizer: e-graph based rewriting (ISLE mid-end rules: constant folding, algebraic simplification, GVN, LICM, redundant-load elimination) with elaboration back to CLIF.",
        prerequisites: &["cfg", "domtree", "loop_analysis", "aliases_resolved"],
        semantics_preserving: true,
    },
    StepInfo {
        name: "canonicalize_nans",
        api: "cranelift_codegen::Context::canonicalize_nans",
        description: "Rewrite floating-point results so every NaN is the canonical NaN (deterministic NaN bits, as used for wasm). Changes NaN payloads.",
        prerequisites: &[],
        semantics_preserving: false,
    },
];

/// Prerequisites that steps may need. Analyses do not change the IR; `aliases_resolved`
/// only rewrites uses of value aliases. The driver establishes them automatically right
/// before each step that lists them, so they are not accepted as steps themselves
/// (`resolve_all_aliases` is also offered as a step on its own).
pub const PREREQUISITES: &[(&str, &str, &str)] = &[
    ("cfg", "cranelift_codegen::Context::compute_cfg", "Control-flow graph."),
    (
        "aliases_resolved",
        "cranelift_codegen::ir::DataFlowGraph::resolve_all_aliases",
        "No value aliases may remain (egraph_pass asserts this; Context::optimize also resolves them first). Satisfied by running resolve_all_aliases, which never changes semantics.",
    ),
    ("domtree", "cranelift_codegen::Context::compute_domtree", "Dominator tree (needs cfg)."),
    (
        "loop_analysis",
        "cranelift_codegen::Context::compute_loop_analysis",
        "Loop nesting analysis (needs cfg and domtree); computed by egraph_pass itself.",
    ),
];

/// What `Context::compile` (via `Context::optimize`) always runs after the requested steps.
pub const CODEGEN_PIPELINE: &[&str] = &[
    "compute_cfg",
    "canonicalize_nans (only if enable_nan_canonicalization=true)",
    "legalize",
    "compute_domtree",
    "eliminate_unreachable_code",
    "remove_constant_phis",
    "resolve_all_aliases",
    "egraph_pass (only if opt_level != none)",
    "lower to x86-64 VCode, register allocation (regalloc2), emission",
];

/// The message of a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string())
}

pub fn step_by_name(name: &str) -> Option<&'static StepInfo> {
    STEPS.iter().find(|s| s.name == name)
}

fn apply_step(
    ctx: &mut Context,
    isa: &dyn TargetIsa,
    step: &StepInfo,
    ctrl_plane: &mut ControlPlane,
) -> Result<(), CodegenError> {
    // Fresh prerequisites: stale analyses (e.g. a domtree cleared by `legalize`) would
    // make later steps wrong, so they are always recomputed from the current IR.
    if step.prerequisites.contains(&"domtree") {
        ctx.flowgraph();
    } else if step.prerequisites.contains(&"cfg") {
        ctx.compute_cfg();
    }
    if step.prerequisites.contains(&"aliases_resolved") {
        ctx.func.dfg.resolve_all_aliases();
    }
    match step.name {
        "legalize" => ctx.legalize(isa),
        "eliminate_unreachable_code" => ctx.eliminate_unreachable_code(isa),
        "remove_constant_phis" => ctx.remove_constant_phis(isa),
        "resolve_all_aliases" => {
            ctx.func.dfg.resolve_all_aliases();
            Ok(())
        }
        "replace_redundant_loads" => ctx.replace_redundant_loads(),
        "egraph_pass" => ctx.egraph_pass(isa, ctrl_plane),
        "canonicalize_nans" => ctx.canonicalize_nans(isa),
        other => unreachable!("step table and dispatcher disagree on {other}"),
    }
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Shared,
    Isa,
}

fn kind_str(k: SettingKind) -> &'static str {
    match k {
        SettingKind::Bool => "bool",
        SettingKind::Enum => "enum",
        SettingKind::Num => "num",
        SettingKind::Preset => "preset",
    }
}

fn isa_builder() -> R<isa::Builder> {
    isa::lookup_by_name(TARGET)
        .map_err(|e| DriverError::new("isa_error", format!("cannot look up {TARGET}: {e}")))
}

/// Lists every shared and x86-64 setting, straight from the settings descriptors.
pub fn settings_catalog() -> R<Vec<Value>> {
    let shared = settings::builder();
    let isa_b = isa_builder()?;
    let shared_defaults: BTreeMap<&str, String> = settings::Flags::new(settings::builder())
        .iter()
        .map(|v| (v.name, v.value_string()))
        .collect();
    let default_isa = isa_b
        .finish(settings::Flags::new(settings::builder()))
        .map_err(|e| DriverError::new("isa_error", e.to_string()))?;
    let isa_defaults: BTreeMap<&str, String> =
        default_isa.isa_flags().iter().map(|v| (v.name, v.value_string())).collect();
    let mut out = Vec::new();
    for (group, iter, defaults) in [
        ("shared", shared.iter().collect::<Vec<_>>(), &shared_defaults),
        ("x86_64", isa_b.iter().collect::<Vec<_>>(), &isa_defaults),
    ] {
        for s in iter {
            let mut o = Map::new();
            o.insert("name".into(), s.name.into());
            o.insert("group".into(), group.into());
            o.insert("kind".into(), kind_str(s.kind).into());
            o.insert("description".into(), s.description.trim().into());
            let (allowed, default): (Value, Value) = match s.kind {
                SettingKind::Bool => (
                    json!([false, true]),
                    defaults.get(s.name).map(|d| Value::Bool(d == "true")).unwrap_or(Value::Null),
                ),
                SettingKind::Enum => (
                    json!(s.values.unwrap_or(&[])),
                    defaults.get(s.name).map(|d| Value::String(d.clone())).unwrap_or(Value::Null),
                ),
                SettingKind::Num => (
                    json!({"min": 0, "max": 255}),
                    defaults
                        .get(s.name)
                        .and_then(|d| d.parse::<u64>().ok())
                        .map(Value::from)
                        .unwrap_or(Value::Null),
                ),
                // A preset is not a stored value: it can only be applied (value `true`).
                SettingKind::Preset => (json!([true]), Value::Null),
            };
            o.insert("allowed".into(), allowed);
            o.insert("default".into(), default);
            out.push(Value::Object(o));
        }
    }
    Ok(out)
}

fn setting_value_string(name: &str, v: &Value) -> R<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(DriverError::new(
            "bad_setting_value",
            format!("setting '{name}': value must be a string, boolean or number"),
        )
        .with("setting", name)),
    }
}

/// Builds the x86-64 TargetIsa from Cranelift defaults plus the requested settings.
/// Presets are applied first (in name order), then the other settings (in name order),
/// so an explicit flag always overrides what a preset implied.
pub fn build_isa(settings_req: Option<&Value>) -> R<OwnedTargetIsa> {
    let mut shared = settings::builder();
    let mut isa_b = isa_builder()?;
    let empty = Map::new();
    let req = match settings_req {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(DriverError::new("bad_request", "field 'settings' must be an object")
                .with("field", "settings"))
        }
    };
    let shared_desc: BTreeMap<&str, settings::Setting> =
        shared.iter().map(|s| (s.name, s)).collect();
    let isa_desc: BTreeMap<&str, settings::Setting> = isa_b.iter().map(|s| (s.name, s)).collect();
    let mut entries = Vec::new();
    for (name, v) in req {
        let (group, desc) = if let Some(d) = shared_desc.get(name.as_str()) {
            (Group::Shared, *d)
        } else if let Some(d) = isa_desc.get(name.as_str()) {
            (Group::Isa, *d)
        } else {
            return Err(DriverError::new(
                "unknown_setting",
                format!("unknown setting '{name}' (see the 'catalog' op for the list)"),
            )
            .with("setting", name.as_str()));
        };
        entries.push((desc.kind != SettingKind::Preset, name.as_str(), group, desc, v));
    }
    entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, name, group, desc, v) in entries {
        let sval = setting_value_string(name, v)?;
        let target: &mut dyn Configurable = match group {
            Group::Shared => &mut shared,
            Group::Isa => &mut isa_b,
        };
        let res = if desc.kind == SettingKind::Preset {
            match sval.as_str() {
                "true" | "1" | "on" | "yes" => target.enable(name),
                _ => {
                    return Err(DriverError::new(
                        "bad_setting_value",
                        format!("setting '{name}' is a preset: the only allowed value is true"),
                    )
                    .with("setting", name))
                }
            }
        } else {
            target.set(name, &sval)
        };
        if let Err(e) = res {
            let expected = match desc.kind {
                SettingKind::Bool => "true or false".to_string(),
                SettingKind::Enum => format!("one of {}", desc.values.unwrap_or(&[]).join(", ")),
                SettingKind::Num => "an integer 0..=255".to_string(),
                SettingKind::Preset => "true".to_string(),
            };
            return Err(DriverError::new(
                "bad_setting_value",
                format!("setting '{name}': bad value '{sval}' ({e}); expected {expected}"),
            )
            .with("setting", name));
        }
    }
    let flags = settings::Flags::new(shared);
    isa_b
        .finish(flags)
        .map_err(|e| DriverError::new("isa_error", format!("cannot build {TARGET} ISA: {e}")))
}

fn effective_settings(isa: &dyn TargetIsa) -> Value {
    let mut m = Map::new();
    for v in isa.flags().iter() {
        m.insert(v.name.to_string(), v.value_string().into());
    }
    for v in isa.isa_flags() {
        m.insert(v.name.to_string(), v.value_string().into());
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Clif,
    Wasm,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Clif => "clif",
            Format::Wasm => "wasm",
        }
    }
}

/// One function of the input, lowered to CLIF.
pub struct InputFunction {
    /// Human name: the wasm name-section / export name, or the CLIF function name.
    pub name: String,
    /// The CLIF function name (`%name` or `u0:N`), used for calls and the interpreter.
    pub clif_name: String,
    pub func: Function,
}

fn decode_input(req: &Map<String, Value>) -> R<(Vec<u8>, Format)> {
    decode_input_field(req, "input")
}

/// Decodes the input object in field `key` (`input`, or `after` for `differential`).
fn decode_input_field(req: &Map<String, Value>, key: &str) -> R<(Vec<u8>, Format)> {
    let input = match req.get(key) {
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(DriverError::new("bad_request", format!("field '{key}' must be an object"))
                .with("field", key))
        }
        None => {
            return Err(DriverError::new("bad_request", format!("missing field '{key}'")).with("field", key))
        }
    };
    let format = match input.get("format").and_then(Value::as_str) {
        Some("clif") => Format::Clif,
        Some("wasm") => Format::Wasm,
        Some(other) => {
            return Err(DriverError::new(
                "bad_format",
                format!("unsupported {key} format '{other}' (expected 'clif' or 'wasm')"),
            )
            .with("field", format!("{key}.format")))
        }
        None => {
            return Err(DriverError::new(
                "bad_request",
                format!("missing string field '{key}.format' ('clif' or 'wasm')"),
            )
            .with("field", format!("{key}.format")))
        }
    };
    let bytes = match (input.get("base64"), input.get("text")) {
        (Some(Value::String(b64)), _) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| {
                DriverError::new("bad_base64", format!("{key}.base64 is not valid base64: {e}"))
                    .with("field", format!("{key}.base64"))
            })?,
        (None, Some(Value::String(t))) if format == Format::Clif => t.as_bytes().to_vec(),
        _ => {
            return Err(DriverError::new(
                "bad_request",
                format!("missing string field '{key}.base64' (or '{key}.text' for clif)"),
            )
            .with("field", format!("{key}.base64")))
        }
    };
    Ok((bytes, format))
}

/// Turns input bytes into CLIF functions (parsing CLIF text or translating wasm).
pub fn load_functions(bytes: &[u8], format: Format, isa: &dyn TargetIsa) -> R<Vec<InputFunction>> {
    let funcs = match format {
        Format::Clif => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                DriverError::new("parse_error", format!("CLIF input is not UTF-8: {e}"))
            })?;
            let funcs = cranelift_reader::parse_functions(text).map_err(|e| {
                DriverError::new(
                    "parse_error",
                    format!("line {}: {}", e.location.line_number, e.message),
                )
                .with("line", e.location.line_number as u64)
            })?;
            funcs
                .into_iter()
                .map(|f| {
                    let n = f.name.to_string();
                    InputFunction { name: n.clone(), clif_name: n, func: f }
                })
                .collect::<Vec<_>>()
        }
        Format::Wasm => {
            use crate::wasm_env::DummyEnvironment;
            use cranelift_wasm::FuncIndex;
            let mut env = DummyEnvironment::new(isa.frontend_config());
            cranelift_wasm::translate_module(bytes, &mut env).map_err(|e| {
                DriverError::new("wasm_error", format!("cannot translate wasm module: {e}"))
            })?;
            let imports = env.get_num_func_imports();
            let bodies = std::mem::take(&mut env.info.function_bodies);
            bodies
                .into_iter()
                .enumerate()
                .map(|(i, (_, f))| {
                    let fidx = FuncIndex::from_u32((imports + i) as u32);
                    let clif_name = f.name.to_string();
                    let name = env
                        .get_func_name(fidx)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .or_else(|| {
                            env.info.functions.get(fidx).and_then(|e| e.export_names.first().cloned())
                        })
                        .unwrap_or_else(|| clif_name.clone());
                    InputFunction { name, clif_name, func: f }
                })
                .collect::<Vec<_>>()
        }
    };
    if funcs.is_empty() {
        return Err(DriverError::new(
            "no_functions",
            format!("the {} input defines no functions", format.as_str()),
        ));
    }
    Ok(funcs)
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn inst_count(f: &Function) -> usize {
    f.layout.blocks().map(|b| f.layout.block_insts(b).count()).sum()
}

pub fn block_count(f: &Function) -> usize {
    f.layout.blocks().count()
}

fn parse_steps(v: Option<&Value>) -> R<Vec<&'static StepInfo>> {
    let arr = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(DriverError::new("bad_request", "field 'steps' must be an array of step names")
                .with("field", "steps"))
        }
    };
    arr.iter()
        .enumerate()
        .map(|(i, s)| {
            let name = s.as_str().ok_or_else(|| {
                DriverError::new("bad_request", format!("steps[{i}] must be a string"))
                    .with("field", "steps")
                    .with("index", i as u64)
            })?;
            step_by_name(name).ok_or_else(|| {
                let known: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
                DriverError::new(
                    "unknown_step",
                    format!("unknown step '{name}' at steps[{i}]; known steps: {}", known.join(", ")),
                )
                .with("step", name)
                .with("index", i as u64)
            })
        })
        .collect()
}

fn opt_bool(req: &Map<String, Value>, key: &str, default: bool) -> R<bool> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(DriverError::new("bad_request", format!("field '{key}' must be a boolean"))
            .with("field", key)),
    }
}

fn verifier_failure(func: &str, step: &str, text: String) -> DriverError {
    DriverError::new(
        "verifier_error",
        format!("function {func}: Cranelift verifier failed after step '{step}': {text}"),
    )
    .with("function", func)
    .with("step", step)
    .with("verifier", text)
}

/// Verifies the input, then applies `steps` in order, running `verify_function` after
/// each one. Returns the per-step verifier log.
fn run_steps(
    ctx: &mut Context,
    isa: &dyn TargetIsa,
    steps: &[&'static StepInfo],
    fname: &str,
    ctrl_plane: &mut ControlPlane,
) -> R<Vec<Value>> {
    let mut log = Vec::new();
    verify_function(&ctx.func, isa).map_err(|e| verifier_failure(fname, "input", e.to_string()))?;
    log.push(json!({"step": "input", "ok": true}));
    for (i, step) in steps.iter().enumerate() {
        match apply_step(ctx, isa, step, ctrl_plane) {
            Ok(()) => {}
            Err(CodegenError::Verifier(errs)) => {
                return Err(verifier_failure(fname, step.name, errs.to_string()).with("index", i as u64))
            }
            Err(e) => {
                return Err(DriverError::new(
                    "step_error",
                    format!("function {fname}: step '{}' failed: {e}", step.name),
                )
                .with("function", fname)
                .with("step", step.name)
                .with("index", i as u64))
            }
        }
        verify_function(&ctx.func, isa)
            .map_err(|e| verifier_failure(fname, step.name, e.to_string()).with("index", i as u64))?;
        log.push(json!({"step": step.name, "ok": true}));
    }
    Ok(log)
}

// ---------------------------------------------------------------------------
// Ops
// ---------------------------------------------------------------------------

fn op_info() -> R<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("driver".into(), json!({"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")}));
    m.insert("protocol_version".into(), PROTOCOL_VERSION.into());
    m.insert("target".into(), TARGET.into());
    m.insert(
        "versions".into(),
        json!({
            "cranelift-codegen": CRANELIFT_CODEGEN_VERSION,
            "cranelift-reader": CRANELIFT_READER_VERSION,
            "cranelift-frontend": CRANELIFT_FRONTEND_VERSION,
            "cranelift-wasm": CRANELIFT_WASM_VERSION,
            "cranelift-interpreter": CRANELIFT_INTERPRETER_VERSION,
            "wasmparser": WASMPARSER_VERSION,
        }),
    );
    m.insert("compiler".into(), format!("cranelift@{CRANELIFT_CODEGEN_VERSION}").into());
    m.insert("input_formats".into(), json!(["clif", "wasm"]));
    m.insert("ops".into(), json!(["info", "catalog", "lower", "compile", "interpret", "differential"]));
    Ok(m)
}

fn op_catalog() -> R<Map<String, Value>> {
    let steps: Vec<Value> = STEPS
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "api": s.api,
                "description": s.description,
                "prerequisites": s.prerequisites,
                "semantics_preserving": s.semantics_preserving,
            })
        })
        .collect();
    let prereqs: Vec<Value> = PREREQUISITES
        .iter()
        .map(|(n, api, d)| json!({"name": n, "api": api, "description": d}))
        .collect();
    let mut m = Map::new();
    m.insert("compiler".into(), format!("cranelift@{CRANELIFT_CODEGEN_VERSION}").into());
    m.insert("target".into(), TARGET.into());
    m.insert("steps".into(), Value::Array(steps));
    m.insert("prerequisites".into(), Value::Array(prereqs));
    m.insert("codegen_pipeline".into(), json!(CODEGEN_PIPELINE));
    m.insert("settings".into(), Value::Array(settings_catalog()?));
    Ok(m)
}

fn op_lower(req: &Map<String, Value>) -> R<Map<String, Value>> {
    let (bytes, format) = decode_input(req)?;
    let isa = build_isa(req.get("settings"))?;
    let funcs = load_functions(&bytes, format, &*isa)?;
    let mut out = Vec::new();
    for (i, f) in funcs.iter().enumerate() {
        let text = f.func.display().to_string();
        let verified = verify_function(&f.func, &*isa);
        out.push(json!({
            "index": i,
            "name": f.name,
            "clif_name": f.clif_name,
            "clif": text,
            "clif_digest": sha256_hex(text.as_bytes()),
            "inst_count": inst_count(&f.func),
            "block_count": block_count(&f.func),
            "verifier": match verified { Ok(()) => json!({"ok": true}), Err(e) => json!({"ok": false, "errors": e.to_string()}) },
        }));
    }
    let all: String = funcs.iter().map(|f| f.func.display().to_string()).collect::<Vec<_>>().join("\n");
    let mut m = Map::new();
    m.insert("format".into(), format.as_str().into());
    m.insert("input_digest".into(), sha256_hex(&bytes).into());
    m.insert("clif_digest".into(), sha256_hex(all.as_bytes()).into());
    m.insert("functions".into(), Value::Array(out));
    Ok(m)
}

fn op_compile(req: &Map<String, Value>) -> R<Map<String, Value>> {
    let steps = parse_steps(req.get("steps"))?;
    let isa = build_isa(req.get("settings"))?;
    let include_clif = opt_bool(req, "include_clif", false)?;
    let include_code = opt_bool(req, "include_code", true)?;
    let (bytes, format) = decode_input(req)?;
    let start = Instant::now();
    let funcs = load_functions(&bytes, format, &*isa)?;
    let mut results = Vec::new();
    let mut all_code: Vec<u8> = Vec::new();
    let (mut total_insts_before, mut total_insts_after) = (0usize, 0usize);
    for f in funcs {
        let name = f.name;
        let before = inst_count(&f.func);
        let mut ctx = Context::for_function(f.func);
        let mut ctrl_plane = ControlPlane::default();
        let mut log = run_steps(&mut ctx, &*isa, &steps, &name, &mut ctrl_plane)?;
        let after_text = ctx.func.display().to_string();
        let after = inst_count(&ctx.func);
        total_insts_before += before;
        total_insts_after += after;
        let code = match ctx.compile(&*isa, &mut ctrl_plane) {
            Ok(cc) => cc.code_buffer().to_vec(),
            Err(e) => {
                return Err(match e.inner {
                    CodegenError::Verifier(errs) => verifier_failure(&name, "codegen", errs.to_string()),
                    other => DriverError::new(
                        "compile_error",
                        format!("function {name}: Cranelift compile failed: {other}"),
                    )
                    .with("function", name.as_str()),
                })
            }
        };
        // `ctx.func` now holds the CLIF that was actually lowered.
        let lowered_text = ctx.func.display().to_string();
        verify_function(&ctx.func, &*isa)
            .map_err(|e| verifier_failure(&name, "codegen", e.to_string()))?;
        log.push(json!({"step": "codegen", "ok": true}));
        let mut r = Map::new();
        r.insert("name".into(), name.as_str().into());
        r.insert("clif_name".into(), f.clif_name.into());
        r.insert("code_bytes".into(), code.len().into());
        r.insert("code_digest".into(), sha256_hex(&code).into());
        if include_code {
            r.insert("code_base64".into(), base64::engine::general_purpose::STANDARD.encode(&code).into());
        }
        r.insert("clif_digest".into(), sha256_hex(after_text.as_bytes()).into());
        r.insert("inst_count_before".into(), before.into());
        r.insert("inst_count_after".into(), after.into());
        r.insert("lowered_clif_digest".into(), sha256_hex(lowered_text.as_bytes()).into());
        r.insert("lowered_inst_count".into(), inst_count(&ctx.func).into());
        if include_clif {
            r.insert("clif".into(), after_text.into());
            r.insert("lowered_clif".into(), lowered_text.into());
        }
        r.insert("verifier".into(), Value::Array(log));
        all_code.extend_from_slice(&code);
        results.push(Value::Object(r));
    }
    let elapsed = start.elapsed();
    let n_funcs = results.len();
    let mut m = Map::new();
    m.insert("format".into(), format.as_str().into());
    m.insert("steps".into(), json!(steps.iter().map(|s| s.name).collect::<Vec<_>>()));
    m.insert("settings".into(), effective_settings(&*isa));
    m.insert("functions".into(), Value::Array(results));
    m.insert(
        "totals".into(),
        json!({
            "functions": n_funcs,
            "code_bytes": all_code.len(),
            "inst_count_before": total_insts_before,
            "inst_count_after": total_insts_after,
            "compile_ms": elapsed.as_secs_f64() * 1000.0,
            "input_digest": sha256_hex(&bytes),
            "output_digest": sha256_hex(&all_code),
        }),
    );
    m.insert("verified".into(), true.into());
    Ok(m)
}

fn parse_arg(v: &Value, ty: ir::Type, i: usize) -> R<DataValue> {
    let bad = |msg: String| DriverError::new("bad_argument", msg).with("index", i as u64);
    if ty.is_int() {
        let n: i128 = match v {
            Value::Number(n) => {
                if let Some(x) = n.as_i64() {
                    x as i128
                } else if let Some(x) = n.as_u64() {
                    x as i128
                } else {
                    return Err(bad(format!("args[{i}]: {n} is not an integer (parameter type {ty})")));
                }
            }
            Value::String(s) => {
                let s = s.trim();
                let parsed = if let Some(h) = s.strip_prefix("0x") {
                    i128::from_str_radix(h, 16).ok()
                } else if let Some(h) = s.strip_prefix("-0x") {
                    i128::from_str_radix(h, 16).ok().map(|x| -x)
                } else {
                    s.parse::<i128>().ok()
                };
                parsed.ok_or_else(|| bad(format!("args[{i}]: '{s}' is not an integer (parameter type {ty})")))?
            }
            _ => return Err(bad(format!("args[{i}]: expected an integer for parameter type {ty}"))),
        };
        DataValue::from_integer(n, ty).map_err(|e| bad(format!("args[{i}]: {e}")))
    } else if ty == ir::types::F32 || ty == ir::types::F64 {
        let x = v
            .as_f64()
            .ok_or_else(|| bad(format!("args[{i}]: expected a number for parameter type {ty}")))?;
        Ok(if ty == ir::types::F32 {
            DataValue::F32(ir::immediates::Ieee32::with_float(x as f32))
        } else {
            DataValue::F64(ir::immediates::Ieee64::with_float(x))
        })
    } else {
        Err(bad(format!("args[{i}]: parameter type {ty} is not supported by this driver")))
    }
}

fn data_value_json(v: &DataValue) -> Value {
    json!({"type": v.ty().to_string(), "value": v.to_string()})
}

fn interpret_one(funcs: &[Function], clif_name: &str, args: &[DataValue], fuel: u64) -> Value {
    let mut store = FunctionStore::default();
    let mut seen = std::collections::BTreeSet::new();
    for f in funcs {
        let n = f.name.to_string();
        if seen.insert(n.clone()) {
            store.add(n, f);
        }
    }
    let state = InterpreterState::default().with_function_store(store);
    let mut interp = Interpreter::new(state).with_fuel(Some(fuel));
    match interp.call_by_name(clif_name, args) {
        Ok(ControlFlow::Return(vals)) => {
            json!({"status": "returned", "values": vals.iter().map(data_value_json).collect::<Vec<_>>()})
        }
        Ok(ControlFlow::Trap(t)) => json!({"status": "trapped", "trap": t.to_string()}),
        Ok(_) => json!({"status": "error", "error": "interpreter stopped without returning"}),
        Err(InterpreterError::FuelExhausted) => json!({"status": "fuel_exhausted", "fuel": fuel}),
        Err(e) => json!({"status": "error", "error": format!("{e}: {e:?}")}),
    }
}

fn op_interpret(req: &Map<String, Value>) -> R<Map<String, Value>> {
    let steps = parse_steps(req.get("steps"))?;
    let isa = build_isa(req.get("settings"))?;
    let with_pipeline = opt_bool(req, "include_codegen_pipeline", false)?;
    let fuel = match req.get("fuel") {
        None | Some(Value::Null) => DEFAULT_FUEL,
        Some(v) => v.as_u64().ok_or_else(|| {
            DriverError::new("bad_request", "field 'fuel' must be a non-negative integer").with("field", "fuel")
        })?,
    };
    let target = req.get("function").and_then(Value::as_str).ok_or_else(|| {
        DriverError::new("bad_request", "missing string field 'function'").with("field", "function")
    })?;
    let args_json: Vec<Value> = match req.get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => {
            return Err(DriverError::new("bad_request", "field 'args' must be an array").with("field", "args"))
        }
    };
    let (bytes, format) = decode_input(req)?;
    let funcs = load_functions(&bytes, format, &*isa)?;
    let idx = funcs
        .iter()
        .position(|f| f.name == target || f.clif_name == target || f.clif_name == format!("%{target}"))
        .ok_or_else(|| {
            let names: Vec<&str> = funcs.iter().take(50).map(|f| f.name.as_str()).collect();
            DriverError::new(
                "unknown_function",
                format!("no function named '{target}' in the input; functions: {}", names.join(", ")),
            )
            .with("function", target)
        })?;
    let sig = funcs[idx].func.signature.clone();
    if sig.params.len() != args_json.len() {
        return Err(DriverError::new(
            "bad_argument",
            format!(
                "function {target} takes {} argument(s) ({}), got {}",
                sig.params.len(),
                sig.params.iter().map(|p| p.value_type.to_string()).collect::<Vec<_>>().join(", "),
                args_json.len()
            ),
        )
        .with("function", target));
    }
    let args: Vec<DataValue> = args_json
        .iter()
        .zip(sig.params.iter())
        .enumerate()
        .map(|(i, (v, p))| parse_arg(v, p.value_type, i))
        .collect::<R<_>>()?;
    let clif_name = funcs[idx].clif_name.clone();
    let before_funcs: Vec<Function> = funcs.iter().map(|f| f.func.clone()).collect();
    let mut after_funcs = Vec::with_capacity(funcs.len());
    for f in funcs {
        let mut ctx = Context::for_function(f.func);
        let mut cp = ControlPlane::default();
        run_steps(&mut ctx, &*isa, &steps, &f.name, &mut cp)?;
        if with_pipeline {
            ctx.optimize(&*isa, &mut cp).map_err(|e| {
                DriverError::new("compile_error", format!("function {}: optimize failed: {e}", f.name))
                    .with("function", f.name.as_str())
            })?;
        }
        after_funcs.push(ctx.func);
    }
    let before = interpret_one(&before_funcs, &clif_name, &args, fuel);
    let after = interpret_one(&after_funcs, &clif_name, &args, fuel);
    let same = before == after;
    let mut m = Map::new();
    m.insert("function".into(), target.into());
    m.insert("clif_name".into(), clif_name.into());
    m.insert("steps".into(), json!(steps.iter().map(|s| s.name).collect::<Vec<_>>()));
    m.insert("args".into(), Value::Array(args.iter().map(data_value_json).collect()));
    m.insert("before".into(), before);
    m.insert("after".into(), after);
    m.insert("same".into(), same.into());
    Ok(m)
}

fn dispatch(req: &Value) -> R<(String, Map<String, Value>)> {
    let obj = req
        .as_object()
        .ok_or_else(|| DriverError::new("bad_request", "request must be a JSON object"))?;
    match obj.get("protocol") {
        None => {
            return Err(DriverError::new("bad_request", "missing field 'protocol' (expected 1)")
                .with("field", "protocol"))
        }
        Some(v) if v.as_u64() == Some(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(DriverError::new(
                "unsupported_protocol",
                format!("protocol {v} is not supported; this driver speaks protocol {PROTOCOL_VERSION}"),
            )
            .with("field", "protocol"))
        }
    }
    let op = obj.get("op").and_then(Value::as_str).ok_or_else(|| {
        DriverError::new("bad_request", "missing string field 'op'").with("field", "op")
    })?;
    let body = match op {
        "info" => op_info()?,
        "catalog" => op_catalog()?,
        "lower" => op_lower(obj)?,
        "compile" => op_compile(obj)?,
        "interpret" => op_interpret(obj)?,
        "differential" => differential::op_differential(obj)?,
        other => {
            return Err(DriverError::new(
                "unknown_op",
                format!("unknown op '{other}' (expected info, catalog, lower, compile, interpret or differential)"),
            )
            .with("op", other))
        }
    };
    Ok((op.to_string(), body))
}

fn error_value(id: Option<Value>, op: Option<&str>, e: DriverError) -> Value {
    let mut err = Map::new();
    err.insert("code".into(), e.code.into());
    err.insert("message".into(), e.message.into());
    for (k, v) in e.details {
        err.insert(k, v);
    }
    let mut m = Map::new();
    m.insert("protocol".into(), PROTOCOL_VERSION.into());
    if let Some(id) = id {
        m.insert("id".into(), id);
    }
    if let Some(op) = op {
        m.insert("op".into(), op.into());
    }
    m.insert("ok".into(), false.into());
    m.insert("error".into(), Value::Object(err));
    Value::Object(m)
}

/// Handles one request line and returns the response as a JSON value.
pub fn handle_value(line: &str) -> Value {
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return error_value(
                None,
                None,
                DriverError::new("bad_json", format!("request is not valid JSON: {e}"))
                    .with("column", e.column() as u64),
            )
        }
    };
    let id = req.get("id").cloned();
    let op = req.get("op").and_then(Value::as_str).map(str::to_string);
    match panic::catch_unwind(AssertUnwindSafe(|| dispatch(&req))) {
        Ok(Ok((op, body))) => {
            let mut m = Map::new();
            m.insert("protocol".into(), PROTOCOL_VERSION.into());
            if let Some(id) = id {
                m.insert("id".into(), id);
            }
            m.insert("op".into(), op.into());
            m.insert("ok".into(), true.into());
            for (k, v) in body {
                m.insert(k, v);
            }
            Value::Object(m)
        }
        Ok(Err(e)) => error_value(id, op.as_deref(), e),
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            error_value(
                id,
                op.as_deref(),
                DriverError::new("internal_panic", format!("Cranelift panicked: {msg}")),
            )
        }
    }
}

/// Handles one request line and returns exactly one response line (no newline).
pub fn handle_line(line: &str) -> String {
    serde_json::to_string(&handle_value(line)).unwrap_or_else(|e| {
        format!(
            "{{\"protocol\":1,\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":\"cannot serialize response: {}\"}}}}",
            e.to_string().replace('"', "'")
        )
    })
}

/// The response line for a request line that is not valid UTF-8.
pub fn invalid_utf8_line(err: &std::str::Utf8Error) -> String {
    serde_json::to_string(&error_value(
        None,
        None,
        DriverError::new("bad_json", format!("request line is not valid UTF-8: {err}")),
    ))
    .expect("serializable")
}

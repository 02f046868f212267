//! A sandbox in which `cranelift-interpreter` 0.112 runs the CLIF of wasm functions
//! translated by the vendored `DummyEnvironment` (`wasm_env.rs`).
//!
//! That environment addresses everything through the trailing `vmctx` parameter:
//! * `vmctx+0` holds the base address of linear memory 0 (a static heap: addresses are
//!   `base + uextend(i32) + offset`, no bounds checks — real code relies on guard pages);
//! * `vmctx+8+8·i` holds wasm global `i` (imported globals first; `__stack_pointer` is
//!   global 0 in a clang object file);
//! * `call_indirect` loads the callee as an `i64` from absolute address `4·index` (the
//!   environment's stand-in for a table): the sandbox answers such a `notrap` load with
//!   the interpreter's address of the function that the module's element segment puts
//!   at `index`, so indirect calls through function pointers run; wasm `table.get/set`
//!   (base also at `vmctx+0`) are not modelled.
//!
//! The interpreter's own `InterpreterState` only knows stack slots, so this module
//! implements its `State` trait over one flat 64-bit address space:
//!
//! | region        | address                         | contents                                |
//! |---------------|---------------------------------|-----------------------------------------|
//! | stack slots   | `STACK_BASE` (0x2000_0000)      | CLIF stack slots of the active frames   |
//! | linear memory | `HEAP_BASE` (0x1_0000_0000)     | `SandboxImage::memory` (seeded, + data) |
//! | vmctx         | `VMCTX_BASE` (0x100_0000_0000)  | heap base, then one 8-byte slot/global  |
//!
//! Every address falls in the interpreter's "stack" address region (top bits 00), so
//! `Address::offset` is the flat address. A load or store outside the regions traps
//! with its trap code (`heap_oob` for wasm accesses), as a guard page would; if the
//! access is marked `notrap` (vmctx, tables) the run is stopped as unsupported instead,
//! because real code could not do that.
//!
//! Execution is an explicit loop over `cranelift_interpreter::step::step` (the crate's
//! `Interpreter` is tied to `InterpreterState` and recurses on calls): calls to functions
//! of the module run inside it, calls to imports go to `libc_stubs`, fuel bounds
//! every instruction and stub, and the call depth is capped.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{
    self, ArgumentPurpose, Endianness, ExternalName, FuncRef, Function, GlobalValue, GlobalValueData, Inst,
    InstructionData, LibCall, MemFlags, Opcode, StackSlot, TrapCode, Type,
};
use cranelift_interpreter::address::{Address, AddressFunctionEntry, AddressRegion, AddressSize};
use cranelift_interpreter::environment::{FuncIndex, FunctionStore};
use cranelift_interpreter::frame::Frame;
use cranelift_interpreter::instruction::DfgInstructionContext;
use cranelift_interpreter::interpreter::{LibCallHandler, LibCallValues};
use cranelift_interpreter::state::{InterpreterFunctionRef, MemoryError, State};
use cranelift_interpreter::step::{step, ControlFlow, CraneliftTrap};

use crate::libc_stubs::{self, StubFault};
use crate::sandbox_image::{SandboxImage, HEAP_BASE, STACK_BASE, VMCTX_BASE};

/// Deepest call chain a run may build before it is stopped (not covered).
pub const MAX_CALL_DEPTH: usize = 4096;
/// Trap code the libcall handler uses to say "not modelled" (never produced by CLIF).
const LIBCALL_UNSUPPORTED: u16 = 0xfffe;

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Returned(Vec<DataValue>),
    /// The trap as Cranelift names it (`heap_oob`, `int_divz`, `user 7`…).
    Trapped(String),
    FuelExhausted,
    /// The sandbox cannot model what the function did: the run is not comparable.
    Unsupported(String),
}

/// A finished run: its outcome and the state it left.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub outcome: Outcome,
    pub memory: Vec<u8>,
    pub vmctx: Vec<u8>,
    /// What the run printed through the libc stubs.
    pub output: Vec<u8>,
    pub fuel_used: u64,
    /// Imports called through stubs, in first-call order.
    pub stubs_called: Vec<String>,
}

/// Runs `func` (which must be in `functions`) on `args` in a fresh copy of `image`
/// with at most `fuel` instructions (stubs cost 1 + bytes/16). Never panics: a panic
/// of the interpreter (an instruction it does not implement) is `Unsupported`.
pub fn run_function<'a>(
    functions: &FunctionStore<'a>,
    image: &SandboxImage,
    func: &'a Function,
    args: Vec<DataValue>,
    fuel: u64,
) -> RunResult {
    let mut sb = Sandbox {
        functions: functions.clone(),
        imports: image.imports.clone(),
        table: image.table.clone(),
        frames: Vec::new(),
        frame_offset: 0,
        stack: Vec::new(),
        memory: image.memory.clone(),
        vmctx: image.vmctx.clone(),
        output: Vec::new(),
        fault: RefCell::new(None),
        pinned_reg: DataValue::I64(0),
        stubs_called: Vec::new(),
    };
    let mut left = fuel;
    let outcome = match panic::catch_unwind(AssertUnwindSafe(|| execute(&mut sb, func, args, &mut left))) {
        Ok(o) => o,
        Err(payload) => {
            let msg = crate::panic_message(payload.as_ref());
            Outcome::Unsupported(format!("the interpreter panicked: {msg}"))
        }
    };
    RunResult {
        outcome,
        memory: sb.memory,
        vmctx: sb.vmctx,
        output: sb.output,
        fuel_used: fuel - left,
        stubs_called: sb.stubs_called,
    }
}

fn execute<'a>(sb: &mut Sandbox<'a>, func: &'a Function, args: Vec<DataValue>, fuel: &mut u64) -> Outcome {
    if let Err(why) = enter(sb, func, args) {
        return Outcome::Unsupported(why);
    }
    let mut pc = first_inst(func);
    // The call instruction each active caller waits on (innermost last).
    let mut call_sites: Vec<Inst> = Vec::new();
    loop {
        let Some(inst) = pc else {
            return Outcome::Unsupported("execution ran off the end of a block".into());
        };
        if *fuel == 0 {
            return Outcome::FuelExhausted;
        }
        *fuel -= 1;
        let f = sb.current_frame().function();
        match import_call(sb, f, inst) {
            ImportCall::NotAnImport => {}
            ImportCall::Stub(Ok(ret)) => {
                *fuel = fuel.saturating_sub(ret.cost);
                let results = f.dfg.inst_results(inst);
                if results.len() != ret.values.len() {
                    return Outcome::Unsupported(format!("stub returned {} value(s), the call expects {}", ret.values.len(), results.len()));
                }
                sb.current_frame_mut().set_all(results, ret.values);
                pc = f.layout.next_inst(inst);
                continue;
            }
            ImportCall::Stub(Err(StubFault::Trap(code))) => return Outcome::Trapped(code.to_string()),
            ImportCall::Stub(Err(StubFault::Unsupported(why))) => return Outcome::Unsupported(why),
            ImportCall::Unknown(why) => return Outcome::Unsupported(why),
        }
        let flow = step(sb, DfgInstructionContext::new(inst, &f.dfg));
        if let Some(fault) = sb.fault.borrow_mut().take() {
            return Outcome::Unsupported(fault);
        }
        let flow = match flow {
            Ok(flow) => flow,
            Err(e) => return Outcome::Unsupported(format!("the interpreter failed at `{}`: {e} ({e:?})", f.dfg.display_inst(inst))),
        };
        match flow {
            ControlFlow::Assign(values) => {
                sb.current_frame_mut().set_all(f.dfg.inst_results(inst), values.to_vec());
                pc = f.layout.next_inst(inst);
            }
            ControlFlow::Continue => pc = f.layout.next_inst(inst),
            ControlFlow::ContinueAt(block, values) => {
                sb.current_frame_mut().set_all(f.dfg.block_params(block), values.to_vec());
                pc = f.layout.first_inst(block);
            }
            ControlFlow::Call(callee, values) => {
                if call_sites.len() >= MAX_CALL_DEPTH {
                    return Outcome::Unsupported(format!("call depth over {MAX_CALL_DEPTH}"));
                }
                call_sites.push(inst);
                if let Err(why) = enter(sb, callee, values.to_vec()) {
                    return Outcome::Unsupported(why);
                }
                pc = first_inst(callee);
            }
            ControlFlow::ReturnCall(callee, values) => {
                sb.pop_frame();
                if let Err(why) = enter(sb, callee, values.to_vec()) {
                    return Outcome::Unsupported(why);
                }
                pc = first_inst(callee);
            }
            ControlFlow::Return(values) => {
                sb.pop_frame();
                match call_sites.pop() {
                    None => return Outcome::Returned(values.to_vec()),
                    Some(site) => {
                        let caller = sb.current_frame().function();
                        sb.current_frame_mut().set_all(caller.dfg.inst_results(site), values.to_vec());
                        pc = caller.layout.next_inst(site);
                    }
                }
            }
            ControlFlow::Trap(CraneliftTrap::User(TrapCode::User(LIBCALL_UNSUPPORTED))) => {
                return Outcome::Unsupported("a libcall the sandbox does not model".into())
            }
            ControlFlow::Trap(CraneliftTrap::User(code)) => return Outcome::Trapped(code.to_string()),
            ControlFlow::Trap(CraneliftTrap::Debug) => return Outcome::Trapped("debugtrap".into()),
        }
    }
}

fn first_inst(func: &Function) -> Option<Inst> {
    func.layout.entry_block().and_then(|b| func.layout.first_inst(b))
}

fn enter<'a>(sb: &mut Sandbox<'a>, func: &'a Function, args: Vec<DataValue>) -> Result<(), String> {
    let entry = func.layout.entry_block().ok_or_else(|| format!("function {} has no blocks", func.name))?;
    let params = func.dfg.block_params(entry);
    if params.len() != args.len() {
        return Err(format!("function {} takes {} argument(s), got {}", func.name, params.len(), args.len()));
    }
    sb.push_frame(func);
    sb.current_frame_mut().set_all(params, args);
    Ok(())
}

enum ImportCall {
    NotAnImport,
    Stub(Result<libc_stubs::StubReturn, StubFault>),
    Unknown(String),
}

/// A `call` of a user function that is not in the module: a wasm import, handled by a
/// stub when there is one.
fn import_call(sb: &mut Sandbox, f: &Function, inst: Inst) -> ImportCall {
    let (opcode, func_ref) = match f.dfg.insts[inst] {
        InstructionData::Call { opcode, func_ref, .. } => (opcode, func_ref),
        _ => return ImportCall::NotAnImport,
    };
    let ext = &f.dfg.ext_funcs[func_ref];
    let ExternalName::User(r) = ext.name else { return ImportCall::NotAnImport };
    let shown = ext.name.display(Some(&f.params)).to_string();
    if sb.functions.index_of(&shown).is_some() {
        return ImportCall::NotAnImport;
    }
    let user = &f.params.user_named_funcs()[r];
    let import = if user.namespace == 0 { sb.imports.get(user.index as usize) } else { None };
    let Some(import) = import else {
        return ImportCall::Unknown(format!("calls {shown}, which the module does not define"));
    };
    if opcode != Opcode::Call {
        return ImportCall::Unknown(format!("tail-calls import {import} ({shown})"));
    }
    let args: Vec<DataValue> = sb.collect_values(f.dfg.inst_args(inst)).to_vec();
    match libc_stubs::call_stub(import, &args, &mut sb.memory, &mut sb.output) {
        Some(r) => {
            if !sb.stubs_called.iter().any(|s| s == import) {
                sb.stubs_called.push(import.clone());
            }
            ImportCall::Stub(r)
        }
        None => ImportCall::Unknown(format!("calls import {import} ({shown}), which has no stub")),
    }
}

/// Float libcalls the mid-end never introduces but legalization might; others are
/// reported as not modelled.
fn libcall_handler(call: LibCall, args: LibCallValues) -> Result<LibCallValues, TrapCode> {
    use DataValue::{F32, F64};
    use ir::immediates::{Ieee32, Ieee64};
    let f32_1 = |op: fn(f32) -> f32| match args.as_slice() {
        [F32(x)] => Ok(F32(Ieee32::with_float(op(x.as_f32())))),
        _ => Err(TrapCode::User(LIBCALL_UNSUPPORTED)),
    };
    let f64_1 = |op: fn(f64) -> f64| match args.as_slice() {
        [F64(x)] => Ok(F64(Ieee64::with_float(op(x.as_f64())))),
        _ => Err(TrapCode::User(LIBCALL_UNSUPPORTED)),
    };
    let v = match call {
        LibCall::CeilF32 => f32_1(f32::ceil),
        LibCall::CeilF64 => f64_1(f64::ceil),
        LibCall::FloorF32 => f32_1(f32::floor),
        LibCall::FloorF64 => f64_1(f64::floor),
        LibCall::TruncF32 => f32_1(f32::trunc),
        LibCall::TruncF64 => f64_1(f64::trunc),
        LibCall::NearestF32 => f32_1(f32::round_ties_even),
        LibCall::NearestF64 => f64_1(f64::round_ties_even),
        _ => Err(TrapCode::User(LIBCALL_UNSUPPORTED)),
    }?;
    let mut out = LibCallValues::new();
    out.push(v);
    Ok(out)
}

struct Sandbox<'a> {
    functions: FunctionStore<'a>,
    imports: Vec<String>,
    table: Vec<Option<u32>>,
    frames: Vec<Frame<'a>>,
    /// Start in `stack` of the current frame's stack slots.
    frame_offset: usize,
    stack: Vec<u8>,
    memory: Vec<u8>,
    vmctx: Vec<u8>,
    output: Vec<u8>,
    /// Set by a `notrap` access outside every region: the run is then unsupported.
    fault: RefCell<Option<String>>,
    pinned_reg: DataValue,
    stubs_called: Vec<String>,
}

impl Sandbox<'_> {
    /// The bytes at flat address `addr`, `len` long, if inside one region.
    fn locate(&self, addr: u64, len: u64) -> Option<(Region, usize)> {
        let end = addr.checked_add(len)?;
        let within = |base: u64, size: usize| addr >= base && end <= base + size as u64;
        if within(HEAP_BASE, self.memory.len()) {
            Some((Region::Memory, (addr - HEAP_BASE) as usize))
        } else if within(VMCTX_BASE, self.vmctx.len()) {
            Some((Region::Vmctx, (addr - VMCTX_BASE) as usize))
        } else if within(STACK_BASE, self.stack.len()) {
            Some((Region::Stack, (addr - STACK_BASE) as usize))
        } else {
            None
        }
    }

    fn bytes(&self, region: Region) -> &[u8] {
        match region {
            Region::Memory => &self.memory,
            Region::Vmctx => &self.vmctx,
            Region::Stack => &self.stack,
        }
    }

    fn bytes_mut(&mut self, region: Region) -> &mut [u8] {
        match region {
            Region::Memory => &mut self.memory,
            Region::Vmctx => &mut self.vmctx,
            Region::Stack => &mut self.stack,
        }
    }

    /// The `call_indirect` stand-in: a `notrap` i64 load from absolute address `4·i`
    /// yields the function address of table entry `i` (module functions only).
    fn table_entry(&self, addr: &Address, ty: Type, flags: MemFlags) -> Option<DataValue> {
        let a = flat(addr)?;
        if ty != ir::types::I64 || flags.trap_code().is_some() || a % 4 != 0 {
            return None;
        }
        let func = (*self.table.get((a / 4) as usize)?)?;
        let index = self.functions.index_of(&format!("u0:{func}"))?;
        let entry = Address::from_parts(AddressSize::_64, AddressRegion::Function, AddressFunctionEntry::UserFunction as u64, index.as_u32() as u64).ok()?;
        DataValue::try_from(entry).ok()
    }

    fn unmapped(&self, what: &str, addr: &Address, size: usize, flags: MemFlags) -> MemoryError {
        if flags.trap_code().is_none() {
            *self.fault.borrow_mut() = Some(format!(
                "a `notrap` {what} of {size} byte(s) at {} outside the sandbox (not a vmctx field nor a table entry of a module function)",
                show_address(addr)
            ));
            return MemoryError::InvalidAddress(DataValue::I64(0));
        }
        match what {
            "load" => MemoryError::OutOfBoundsLoad { addr: addr.clone(), load_size: size, mem_flags: flags },
            _ => MemoryError::OutOfBoundsStore { addr: addr.clone(), store_size: size, mem_flags: flags },
        }
    }
}

#[derive(Clone, Copy)]
enum Region {
    Memory,
    Vmctx,
    Stack,
}

fn flat(addr: &Address) -> Option<u64> {
    (addr.region == AddressRegion::Stack).then_some(addr.offset)
}

fn show_address(addr: &Address) -> String {
    match flat(addr) {
        Some(a) if a >= HEAP_BASE && a < VMCTX_BASE => format!("linear memory offset {:#x}", a - HEAP_BASE),
        Some(a) => format!("address {a:#x}"),
        None => format!("{addr:?}"),
    }
}

impl<'a> State<'a> for Sandbox<'a> {
    fn get_function(&self, func_ref: FuncRef) -> Option<&'a Function> {
        self.functions.get_from_func_ref(func_ref, self.current_frame().function())
    }

    fn get_current_function(&self) -> &'a Function {
        self.current_frame().function()
    }

    fn get_libcall_handler(&self) -> LibCallHandler {
        libcall_handler
    }

    fn push_frame(&mut self, function: &'a Function) {
        if let Some(frame) = self.frames.last() {
            self.frame_offset += frame.function().fixed_stack_size() as usize;
        }
        self.stack.resize(self.stack.len() + function.fixed_stack_size() as usize, 0);
        self.frames.push(Frame::new(function));
    }

    fn pop_frame(&mut self) {
        if let Some(frame) = self.frames.pop() {
            self.stack.truncate(self.stack.len() - frame.function().fixed_stack_size() as usize);
            if let Some(frame) = self.frames.last() {
                self.frame_offset -= frame.function().fixed_stack_size() as usize;
            }
        }
    }

    fn current_frame_mut(&mut self) -> &mut Frame<'a> {
        self.frames.last_mut().expect("a frame is active")
    }

    fn current_frame(&self) -> &Frame<'a> {
        self.frames.last().expect("a frame is active")
    }

    fn stack_address(&self, size: AddressSize, slot: StackSlot, offset: u64) -> Result<Address, MemoryError> {
        let slots = &self.get_current_function().sized_stack_slots;
        let slot_size = slots[slot].size as u64;
        if offset >= slot_size {
            return Err(MemoryError::InvalidOffset { offset, max: slot_size });
        }
        let before: u64 = slots.keys().filter(|k| k < &slot).map(|k| slots[k].size as u64).sum();
        Address::from_parts(size, AddressRegion::Stack, 0, STACK_BASE + self.frame_offset as u64 + before + offset)
    }

    fn checked_load(&self, addr: Address, ty: Type, flags: MemFlags) -> Result<DataValue, MemoryError> {
        let size = ty.bytes() as usize;
        let Some((region, start)) = flat(&addr).and_then(|a| self.locate(a, size as u64)) else {
            if let Some(callee) = self.table_entry(&addr, ty, flags) {
                return Ok(callee);
            }
            return Err(self.unmapped("load", &addr, size, flags));
        };
        if flags.aligned() && start % size != 0 {
            return Err(MemoryError::MisalignedLoad { addr, load_size: size });
        }
        let src = &self.bytes(region)[start..start + size];
        Ok(match flags.endianness(Endianness::Little) {
            Endianness::Big => DataValue::read_from_slice_be(src, ty),
            Endianness::Little => DataValue::read_from_slice_le(src, ty),
        })
    }

    fn checked_store(&mut self, addr: Address, v: DataValue, flags: MemFlags) -> Result<(), MemoryError> {
        let size = v.ty().bytes() as usize;
        let Some((region, start)) = flat(&addr).and_then(|a| self.locate(a, size as u64)) else {
            return Err(self.unmapped("store", &addr, size, flags));
        };
        if flags.aligned() && start % size != 0 {
            return Err(MemoryError::MisalignedStore { addr, store_size: size });
        }
        let big = flags.endianness(Endianness::Little) == Endianness::Big;
        let dst = &mut self.bytes_mut(region)[start..start + size];
        if big {
            v.write_to_slice_be(dst);
        } else {
            v.write_to_slice_le(dst);
        }
        Ok(())
    }

    fn function_address(&self, size: AddressSize, name: &ExternalName) -> Result<Address, MemoryError> {
        let curr = self.get_current_function();
        let (entry, index) = match name {
            ExternalName::User(_) | ExternalName::TestCase(_) => {
                let shown = name.display(Some(&curr.params)).to_string();
                let index = self.functions.index_of(&shown).ok_or(MemoryError::InvalidAddress(DataValue::I64(0)))?;
                (AddressFunctionEntry::UserFunction, index.as_u32())
            }
            ExternalName::LibCall(libcall) => {
                let index = LibCall::all_libcalls().iter().position(|lc| lc == libcall).unwrap_or(0);
                (AddressFunctionEntry::LibCall, index as u32)
            }
            ExternalName::KnownSymbol(_) => return Err(MemoryError::InvalidAddress(DataValue::I64(0))),
        };
        Address::from_parts(size, AddressRegion::Function, entry as u64, index as u64)
    }

    fn get_function_from_address(&self, address: Address) -> Option<InterpreterFunctionRef<'a>> {
        if address.region != AddressRegion::Function {
            return None;
        }
        let index = address.offset as u32;
        match AddressFunctionEntry::from(address.entry) {
            AddressFunctionEntry::UserFunction => {
                self.functions.get_by_index(FuncIndex::from_u32(index)).map(InterpreterFunctionRef::from)
            }
            AddressFunctionEntry::LibCall => {
                LibCall::all_libcalls().get(index as usize).copied().map(InterpreterFunctionRef::from)
            }
        }
    }

    fn resolve_global_value(&self, gv: GlobalValue) -> Result<DataValue, MemoryError> {
        // Same resolution as `InterpreterState`, through this sandbox's memory.
        enum Action {
            Resolve(GlobalValue),
            Add(DataValue),
            Load { offset: i32, ty: Type, flags: MemFlags },
        }
        let func = self.get_current_function();
        let mut current = DataValue::I8(0);
        let mut todo = vec![Action::Resolve(gv)];
        while let Some(action) = todo.pop() {
            match action {
                Action::Resolve(gv) => match func.global_values[gv] {
                    GlobalValueData::VMContext => {
                        let index = func
                            .signature
                            .params
                            .iter()
                            .position(|p| p.purpose == ArgumentPurpose::VMContext)
                            .ok_or(MemoryError::InvalidAddress(DataValue::I64(0)))?;
                        let entry = func.layout.entry_block().expect("a function being run has an entry block");
                        current = self.current_frame().get(func.dfg.block_params(entry)[index]).clone();
                    }
                    GlobalValueData::Load { base, offset, global_type, flags } => {
                        todo.push(Action::Load { offset: offset.into(), ty: global_type, flags });
                        todo.push(Action::Resolve(base));
                    }
                    GlobalValueData::IAddImm { base, offset, global_type } => {
                        let offset: i64 = offset.into();
                        let dv = DataValue::from_integer(offset as i128, global_type)
                            .map_err(|_| MemoryError::InvalidAddressType(global_type))?;
                        todo.push(Action::Add(dv));
                        todo.push(Action::Resolve(base));
                    }
                    GlobalValueData::Symbol { .. } | GlobalValueData::DynScaleTargetConst { .. } => {
                        *self.fault.borrow_mut() = Some(format!("global value {gv} ({}) is not modelled", func.global_values[gv]));
                        return Err(MemoryError::InvalidAddress(DataValue::I64(0)));
                    }
                },
                Action::Add(dv) => {
                    current = add_wrapping(&current, &dv).ok_or(MemoryError::InvalidAddress(dv))?;
                }
                Action::Load { offset, ty, flags } => {
                    let mut addr = Address::try_from(current.clone())?;
                    addr.offset = addr.offset.wrapping_add(offset as i64 as u64);
                    current = self.checked_load(addr, ty, flags)?;
                }
            }
        }
        Ok(current)
    }

    fn get_pinned_reg(&self) -> DataValue {
        self.pinned_reg.clone()
    }

    fn set_pinned_reg(&mut self, v: DataValue) {
        self.pinned_reg = v;
    }
}

fn add_wrapping(a: &DataValue, b: &DataValue) -> Option<DataValue> {
    match (a, b) {
        (DataValue::I64(x), DataValue::I64(y)) => Some(DataValue::I64(x.wrapping_add(*y))),
        (DataValue::I32(x), DataValue::I32(y)) => Some(DataValue::I32(x.wrapping_add(*y))),
        _ => None,
    }
}

/* bytecode.c - a tiny stack-machine bytecode interpreter with a label-resolving assembler,
 * running fib, recursive gcd, prime counting and Collatz programs, checked against C.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

enum op {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIVU, OP_MODU,
    OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_LTU, OP_EQ, OP_JMP, OP_JZ, OP_JNZ, OP_LOAD, OP_STORE,
    OP_CALL, OP_RET, OP_OUT
};

#define CODE_MAX 512
#define STACK_MAX 256
#define FRAMES_MAX 128
#define LOCALS 8
#define LABELS 32
#define FIXUPS 64

typedef struct {
    uint32_t code[CODE_MAX];
    uint32_t len;
    uint32_t label_addr[LABELS];
    uint32_t fix_at[FIXUPS];
    uint32_t fix_label[FIXUPS];
    uint32_t nfix;
} assembler;

typedef struct {
    uint32_t stack[STACK_MAX];
    uint32_t sp;
    uint32_t ret_addr[FRAMES_MAX];
    uint32_t locals[FRAMES_MAX][LOCALS];
    uint32_t fp;
    uint32_t out_hash;
    uint32_t out_count;
    uint64_t steps;
} machine;

enum { VM_OK = 0, VM_STACK = 1, VM_FRAMES = 2, VM_BADOP = 3, VM_DIV0 = 4, VM_PC = 5 };

static assembler as;
static machine vm;

static void asm_reset(void) {
    memset(&as, 0, sizeof as);
}

static void emit(enum op o) {
    as.code[as.len++] = (uint32_t)o;
}

static void emit1(enum op o, uint32_t arg) {
    as.code[as.len++] = (uint32_t)o;
    as.code[as.len++] = arg;
}

static void emit_jump(enum op o, uint32_t label) {
    as.code[as.len++] = (uint32_t)o;
    as.fix_at[as.nfix] = as.len;
    as.fix_label[as.nfix++] = label;
    as.code[as.len++] = 0;
}

static void label(uint32_t id) {
    as.label_addr[id] = as.len;
}

static void asm_link(void) {
    for (uint32_t i = 0; i < as.nfix; i++) as.code[as.fix_at[i]] = as.label_addr[as.fix_label[i]];
}

#define POP(v)                                                                                       \
    do {                                                                                             \
        if (m->sp == 0) return VM_STACK;                                                             \
        (v) = m->stack[--m->sp];                                                                     \
    } while (0)
#define PUSH(v)                                                                                      \
    do {                                                                                             \
        if (m->sp >= STACK_MAX) return VM_STACK;                                                     \
        m->stack[m->sp++] = (v);                                                                     \
    } while (0)

static int run(machine *m, const uint32_t *code, uint32_t len) {
    uint32_t pc = 0, a, b;
    m->sp = 0;
    m->fp = 0;
    m->out_hash = 0;
    m->out_count = 0;
    memset(m->locals[0], 0, sizeof m->locals[0]);
    for (;;) {
        if (pc >= len) return VM_PC;
        uint32_t op = code[pc++];
        m->steps++;
        switch (op) {
        case OP_HALT: return VM_OK;
        case OP_PUSH: if (pc >= len) return VM_PC; PUSH(code[pc]); pc++; break;
        case OP_POP: POP(a); break;
        case OP_DUP: POP(a); PUSH(a); PUSH(a); break;
        case OP_SWAP: POP(a); POP(b); PUSH(a); PUSH(b); break;
        case OP_OVER: POP(a); POP(b); PUSH(b); PUSH(a); PUSH(b); break;
        case OP_ADD: POP(b); POP(a); PUSH(a + b); break;
        case OP_SUB: POP(b); POP(a); PUSH(a - b); break;
        case OP_MUL: POP(b); POP(a); PUSH(a * b); break;
        case OP_DIVU: POP(b); POP(a); if (b == 0) return VM_DIV0; PUSH(a / b); break;
        case OP_MODU: POP(b); POP(a); if (b == 0) return VM_DIV0; PUSH(a % b); break;
        case OP_AND: POP(b); POP(a); PUSH(a & b); break;
        case OP_OR: POP(b); POP(a); PUSH(a | b); break;
        case OP_XOR: POP(b); POP(a); PUSH(a ^ b); break;
        case OP_SHL: POP(b); POP(a); PUSH(a << (b & 31u)); break;
        case OP_SHR: POP(b); POP(a); PUSH(a >> (b & 31u)); break;
        case OP_LTU: POP(b); POP(a); PUSH(a < b ? 1u : 0u); break;
        case OP_EQ: POP(b); POP(a); PUSH(a == b ? 1u : 0u); break;
        case OP_JMP: if (pc >= len) return VM_PC; pc = code[pc]; break;
        case OP_JZ: POP(a); if (pc >= len) return VM_PC; pc = a == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: POP(a); if (pc >= len) return VM_PC; pc = a != 0 ? code[pc] : pc + 1; break;
        case OP_LOAD: if (pc >= len) return VM_PC; PUSH(m->locals[m->fp][code[pc] % LOCALS]); pc++; break;
        case OP_STORE: if (pc >= len) return VM_PC; POP(a); m->locals[m->fp][code[pc] % LOCALS] = a; pc++; break;
        case OP_CALL:
            if (pc >= len) return VM_PC;
            if (m->fp + 1 >= FRAMES_MAX) return VM_FRAMES;
            m->ret_addr[++m->fp] = pc + 1;
            memset(m->locals[m->fp], 0, sizeof m->locals[m->fp]);
            pc = code[pc];
            break;
        case OP_RET:
            if (m->fp == 0) return VM_FRAMES;
            pc = m->ret_addr[m->fp--];
            break;
        case OP_OUT:
            POP(a);
            m->out_hash = (m->out_hash ^ a) * 16777619u;
            m->out_count++;
            break;
        default: return VM_BADOP;
        }
    }
}

/* for i in 0..limit: out(fib(i)) */
static void asm_fib(uint32_t limit) {
    enum { L_LOOP = 0, L_END = 1 };
    asm_reset();
    emit1(OP_PUSH, 0); emit1(OP_STORE, 0); /* a */
    emit1(OP_PUSH, 1); emit1(OP_STORE, 1); /* b */
    emit1(OP_PUSH, 0); emit1(OP_STORE, 2); /* i */
    label(L_LOOP);
    emit1(OP_LOAD, 2); emit1(OP_PUSH, limit); emit(OP_LTU); emit_jump(OP_JZ, L_END);
    emit1(OP_LOAD, 0); emit(OP_OUT);
    emit1(OP_LOAD, 0); emit1(OP_LOAD, 1); emit(OP_DUP); emit1(OP_STORE, 0); emit(OP_ADD); emit1(OP_STORE, 1);
    emit1(OP_LOAD, 2); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 2);
    emit_jump(OP_JMP, L_LOOP);
    label(L_END);
    emit(OP_HALT);
    asm_link();
}

/* out(gcd(a_i, b_i)) with a recursive gcd function and an LCG for the arguments */
static void asm_gcd(uint32_t pairs) {
    enum { L_LOOP = 0, L_END = 1, L_GCD = 2, L_BASE = 3 };
    asm_reset();
    emit1(OP_PUSH, 12345); emit1(OP_STORE, 0); /* seed */
    emit1(OP_PUSH, 0); emit1(OP_STORE, 1);     /* i */
    label(L_LOOP);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, pairs); emit(OP_LTU); emit_jump(OP_JZ, L_END);
    for (int k = 0; k < 2; k++) { /* push two LCG values, each masked and scaled */
        emit1(OP_LOAD, 0); emit1(OP_PUSH, 1103515245u); emit(OP_MUL); emit1(OP_PUSH, 12345); emit(OP_ADD);
        emit(OP_DUP); emit1(OP_STORE, 0);
        emit1(OP_PUSH, 8); emit(OP_SHR); emit1(OP_PUSH, 0xFFFFu); emit(OP_AND);
        emit1(OP_PUSH, 6); emit(OP_MUL);
    }
    emit_jump(OP_CALL, L_GCD);
    emit(OP_OUT);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 1);
    emit_jump(OP_JMP, L_LOOP);
    label(L_END);
    emit(OP_HALT);
    /* gcd(a, b): stack [a b] -> [g] */
    label(L_GCD);
    emit1(OP_STORE, 1); emit1(OP_STORE, 0);
    emit1(OP_LOAD, 1); emit_jump(OP_JZ, L_BASE);
    emit1(OP_LOAD, 1); emit1(OP_LOAD, 0); emit1(OP_LOAD, 1); emit(OP_MODU);
    emit_jump(OP_CALL, L_GCD);
    emit(OP_RET);
    label(L_BASE);
    emit1(OP_LOAD, 0);
    emit(OP_RET);
    asm_link();
}

/* count primes below limit by trial division; out(each prime) */
static void asm_primes(uint32_t limit) {
    enum { L_OUTER = 0, L_INNER = 1, L_PRIME = 2, L_NEXT = 3, L_END = 4 };
    asm_reset();
    emit1(OP_PUSH, 2); emit1(OP_STORE, 0); /* n */
    label(L_OUTER);
    emit1(OP_LOAD, 0); emit1(OP_PUSH, limit); emit(OP_LTU); emit_jump(OP_JZ, L_END);
    emit1(OP_PUSH, 2); emit1(OP_STORE, 1); /* d */
    label(L_INNER);
    emit1(OP_LOAD, 1); emit(OP_DUP); emit(OP_MUL); emit1(OP_LOAD, 0); emit(OP_SWAP); emit(OP_LTU);
    emit_jump(OP_JNZ, L_PRIME); /* n < d*d */
    emit1(OP_LOAD, 0); emit1(OP_LOAD, 1); emit(OP_MODU); emit_jump(OP_JZ, L_NEXT);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 1);
    emit_jump(OP_JMP, L_INNER);
    label(L_PRIME);
    emit1(OP_LOAD, 0); emit(OP_OUT);
    label(L_NEXT);
    emit1(OP_LOAD, 0); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 0);
    emit_jump(OP_JMP, L_OUTER);
    label(L_END);
    emit(OP_HALT);
    asm_link();
}

/* for n in 1..limit: out(collatz steps of n) */
static void asm_collatz(uint32_t limit) {
    enum { L_OUTER = 0, L_INNER = 1, L_ODD = 2, L_STEP = 3, L_DONE = 4, L_END = 5 };
    asm_reset();
    emit1(OP_PUSH, 1); emit1(OP_STORE, 0);
    label(L_OUTER);
    emit1(OP_LOAD, 0); emit1(OP_PUSH, limit); emit(OP_LTU); emit_jump(OP_JZ, L_END);
    emit1(OP_LOAD, 0); emit1(OP_STORE, 1); emit1(OP_PUSH, 0); emit1(OP_STORE, 2);
    label(L_INNER);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 1); emit(OP_EQ); emit_jump(OP_JNZ, L_DONE);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 1); emit(OP_AND); emit_jump(OP_JNZ, L_ODD);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 1); emit(OP_SHR); emit1(OP_STORE, 1); emit_jump(OP_JMP, L_STEP);
    label(L_ODD);
    emit1(OP_LOAD, 1); emit1(OP_PUSH, 3); emit(OP_MUL); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 1);
    label(L_STEP);
    emit1(OP_LOAD, 2); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 2); emit_jump(OP_JMP, L_INNER);
    label(L_DONE);
    emit1(OP_LOAD, 2); emit(OP_OUT);
    emit1(OP_LOAD, 0); emit1(OP_PUSH, 1); emit(OP_ADD); emit1(OP_STORE, 0); emit_jump(OP_JMP, L_OUTER);
    label(L_END);
    emit(OP_HALT);
    asm_link();
}

/* reference implementations in C, hashing outputs the same way */
static uint32_t out_step(uint32_t h, uint32_t v) {
    return (h ^ v) * 16777619u;
}

static uint32_t ref_fib(uint32_t limit) {
    uint32_t a = 0, b = 1, h = 0;
    for (uint32_t i = 0; i < limit; i++) {
        h = out_step(h, a);
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return h;
}

static uint32_t gcd_c(uint32_t a, uint32_t b) {
    return b == 0 ? a : gcd_c(b, a % b);
}

static uint32_t ref_gcd(uint32_t pairs) {
    uint32_t seed = 12345, h = 0;
    for (uint32_t i = 0; i < pairs; i++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t a = ((seed >> 8) & 0xFFFFu) * 6u;
        seed = seed * 1103515245u + 12345u;
        uint32_t b = ((seed >> 8) & 0xFFFFu) * 6u;
        h = out_step(h, gcd_c(a, b));
    }
    return h;
}

static uint32_t ref_primes(uint32_t limit) {
    uint32_t h = 0;
    for (uint32_t n = 2; n < limit; n++) {
        uint32_t d = 2;
        while (d * d <= n && n % d != 0) d++;
        if (d * d > n) h = out_step(h, n);
    }
    return h;
}

static uint32_t ref_collatz(uint32_t limit) {
    uint32_t h = 0;
    for (uint32_t n = 1; n < limit; n++) {
        uint32_t x = n, s = 0;
        while (x != 1) {
            x = (x & 1u) ? 3u * x + 1u : x >> 1;
            s++;
        }
        h = out_step(h, s);
    }
    return h;
}

static void report(const char *name, uint32_t expected) {
    int status = run(&vm, as.code, as.len);
    printf("%s status=%d outputs=%u hash=%08x matches_c=%d\n", name, status, (unsigned)vm.out_count,
           (unsigned)vm.out_hash, status == VM_OK && vm.out_hash == expected);
}

int main(void) {
    vm.steps = 0;
    asm_fib(60);
    report("fib", ref_fib(60));
    asm_gcd(400);
    report("gcd", ref_gcd(400));
    asm_primes(3000);
    report("primes", ref_primes(3000));
    asm_collatz(400);
    report("collatz", ref_collatz(400));
    /* error paths: stack underflow and division by zero */
    asm_reset();
    emit(OP_ADD);
    int e1 = run(&vm, as.code, as.len);
    asm_reset();
    emit1(OP_PUSH, 1); emit1(OP_PUSH, 0); emit(OP_DIVU);
    int e2 = run(&vm, as.code, as.len);
    printf("errors underflow=%d div0=%d total_steps=%llu\n", e1, e2, (unsigned long long)vm.steps);
    return 0;
}

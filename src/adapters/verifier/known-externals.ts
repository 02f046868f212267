/**
 * C library (and compiler runtime) symbols a transform may newly reference: the
 * optimiser legitimately turns `printf("x\n")` into `puts`, a `printf("%c")` into
 * `putchar`, loops into `memset`/`memcpy`, `memcmp(…) == 0` into `bcmp`, and so on.
 * Anything else that appears as a new undefined symbol is an interface violation:
 * the transformed program would depend on code the problem's owner never linked.
 */
export const KNOWN_EXTERNAL_SYMBOLS: ReadonlySet<string> = new Set([
  // defined by the static linker (GCC's -fno-plt calls go through the GOT)
  "_GLOBAL_OFFSET_TABLE_",
  // stdio
  "printf", "fprintf", "sprintf", "snprintf", "vprintf", "vfprintf", "puts", "fputs", "putchar", "fputc", "putc",
  "fwrite", "fread", "fflush", "fopen", "fclose", "getchar", "getc", "fgetc", "fgets", "stdout", "stderr", "stdin",
  "__isoc99_scanf", "__isoc99_sscanf", "__isoc99_fscanf", "perror",
  // string / memory
  "memcpy", "memmove", "memset", "memcmp", "bcmp", "memchr", "strlen", "strnlen", "strcmp", "strncmp", "strcpy", "strncpy",
  "stpcpy", "strcat", "strncat", "strchr", "strrchr", "strstr", "strspn", "strcspn", "strdup", "__memcpy_chk", "__memset_chk",
  "__memmove_chk", "__strcpy_chk", "__sprintf_chk", "__snprintf_chk", "__printf_chk", "__fprintf_chk",
  // stdlib
  "malloc", "calloc", "realloc", "free", "abort", "exit", "_exit", "atexit", "abs", "labs", "llabs", "qsort", "bsearch",
  "atoi", "atol", "strtol", "strtoul", "strtoll", "strtoull", "getenv",
  // ctype: glibc's <ctype.h> expands toupper/tolower/isX inline through these when optimising
  // (`__OPTIMIZE__`), so an optimised unit references them where its -O0 build called the function
  "toupper", "tolower", "__ctype_b_loc", "__ctype_toupper_loc", "__ctype_tolower_loc",
  // math (libm, also from vectorised or expanded intrinsics)
  "sqrt", "sqrtf", "fabs", "fabsf", "floor", "floorf", "ceil", "ceilf", "round", "roundf", "trunc", "truncf", "fmod", "fmodf",
  "exp", "expf", "exp2", "exp2f", "log", "logf", "log2", "log2f", "pow", "powf", "sin", "sinf", "cos", "cosf", "ldexp", "ldexpf",
  "fmin", "fminf", "fmax", "fmaxf", "copysign", "copysignf",
  // runtime / hardening
  "__stack_chk_fail", "__stack_chk_guard", "__assert_fail", "__errno_location", "__cxa_atexit", "__dso_handle",
]);

/** True for `llvm.*` intrinsics and `KNOWN_EXTERNAL_SYMBOLS`. */
export function isKnownExternal(name: string): boolean {
  return name.startsWith("llvm.") || KNOWN_EXTERNAL_SYMBOLS.has(name);
}

import { readFile } from "node:fs/promises";

/**
 * Which basic blocks of a transformed program its runs executed: clang's SanitizerCoverage
 * puts a guard in every basic block (`bb`, `no-prune`: none left out for being implied by
 * another) in module order, and `BLOCK_COVERAGE_RUNTIME` numbers the guards 1…N and marks
 * each one hit in a file mapped shared — so a forked child's blocks count, and a run that
 * crashes keeps what it executed. The compiler's verifier maps guard numbers back to its
 * functions' blocks and checks that the numbers add up before trusting them.
 */
export const BLOCK_COVERAGE_FLAGS = ["-fsanitize-coverage=bb,no-prune,trace-pc-guard"] as const;

/** The environment variable naming the file a run marks its blocks in. */
export const BLOCK_COVERAGE_ENV = "OPM_BLOCK_HITS";

/** The C runtime linked into a block-coverage build (itself not instrumented). */
export const BLOCK_COVERAGE_RUNTIME = `#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
static unsigned char *opm_hits;
static uint32_t opm_guards;
__attribute__((no_sanitize("coverage"))) void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop) {
  if (start == stop || *start) return;
  for (uint32_t *g = start; g < stop; g++) *g = ++opm_guards;
  const char *path = getenv("${BLOCK_COVERAGE_ENV}");
  if (path == 0) return;
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return;
  if (ftruncate(fd, (off_t)opm_guards + 1) == 0) {
    void *m = mmap(0, (size_t)opm_guards + 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) { opm_hits = m; opm_hits[0] = 1; }
  }
  close(fd);
}
__attribute__((no_sanitize("coverage"))) void __sanitizer_cov_trace_pc_guard(uint32_t *guard) {
  if (opm_hits != 0 && *guard != 0) opm_hits[*guard] = 1;
}
`;

/**
 * The guards a block-coverage build's runs hit, read from the file they marked: index g
 * (1-based) is 1 when guard g ran. Undefined when no run got as far as setting it up.
 */
export async function readBlockHits(path: string): Promise<Uint8Array | undefined> {
  try {
    const bytes = await readFile(path);
    return bytes.length > 0 && bytes[0] === 1 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

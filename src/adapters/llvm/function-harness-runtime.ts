/** The harness's includes and constants; `harnessSource` follows it with the functions, their table and arguments. */
export const HARNESS_HEAD = `/* OpenPassMarket function-test harness (generated). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define PAGE 4096
#define REGION_AT 0x100000000000ULL`;

/**
 * The harness's runtime: buffers, the forked call, the report of each outcome and `main`
 * (see `harnessSource` for what it prints). Needs `NFUT`, `NCALLS`, `MAXARGS`, `BUF`,
 * `struct fut`, `FUT` and `ARGS` defined before it.
 */
export const HARNESS_RUNTIME = `
struct result { int done; uint64_t ret; unsigned char mem[MAXARGS][BUF]; };
static unsigned char *region;
static struct result *result;

static unsigned char *buffer(int k) { return region + (size_t)k * 2 * PAGE + PAGE - BUF; }

static void fill(unsigned char *p, uint64_t how) {
  uint64_t x = how;
  for (int i = 0; i < BUF; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    p[i] = how == 1 ? 0 : (unsigned char)(x >> 32);
  }
}

/* Where the program's image and heap lie: addresses there move between builds. */
extern char __executable_start;

/* A word of a buffer holding such an address reads as a5a5a5a5a5a5a5a5: its value is not compared. */
static void mask_addresses(unsigned char *bytes) {
  uintptr_t low = (uintptr_t)&__executable_start, high = (uintptr_t)sbrk(0);
  for (int i = 0; i + 8 <= BUF; i += 8) {
    uint64_t word;
    memcpy(&word, bytes + i, 8);
    if (word >= low && word < high) memset(bytes + i, 0xa5, 8);
  }
}

static void run_call(const struct fut *f, const uint64_t *args, int out, long call_ms) {
  uint64_t a[MAXARGS];
  int in = open("/dev/null", O_RDONLY);
  if (in >= 0) dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  for (int k = 0; f->kinds[k]; k++) {
    a[k] = args[k];
    if (f->kinds[k] == 'p' && args[k] != 0) {
      fill(buffer(k), args[k]);
      a[k] = (uint64_t)(uintptr_t)buffer(k);
    }
  }
  struct itimerval timer = { { 0, 0 }, { call_ms / 1000, (call_ms % 1000) * 1000 } };
  setitimer(ITIMER_REAL, &timer, 0);
  uint64_t r = f->call(a);
  fflush(stdout);
  fflush(stderr);
  result->ret = r;
  for (int k = 0; f->kinds[k]; k++)
    if (f->kinds[k] == 'p' && args[k] != 0) {
      memcpy(result->mem[k], buffer(k), BUF);
      mask_addresses(result->mem[k]);
    }
  result->done = 1;
  _exit(0);
}

static const char *signal_name(int s) {
  static char other[32];
  switch (s) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGABRT: return "SIGABRT";
  case SIGTRAP: return "SIGTRAP";
  case SIGKILL: return "SIGKILL";
  case SIGXCPU: return "SIGXCPU";
  case SIGXFSZ: return "SIGXFSZ";
  case SIGSYS: return "SIGSYS";
  }
  snprintf(other, sizeof other, "signal-%d", s);
  return other;
}

static void print_result(const struct fut *f, uint64_t r) {
  switch (f->ret) {
  case 'v': printf("void"); return;
  case 'i': printf("%llx", (unsigned long long)(f->bits == 64 ? r : r & ((1ULL << f->bits) - 1))); return;
  case 'f':
    if ((r & 0x7f800000ULL) == 0x7f800000ULL && (r & 0x7fffffULL) != 0) printf("nan");
    else printf("%llx", (unsigned long long)(r & 0xffffffffULL));
    return;
  case 'd':
    if (((r >> 52) & 0x7ff) == 0x7ff && (r & 0xfffffffffffffULL) != 0) printf("nan");
    else printf("%llx", (unsigned long long)r);
    return;
  }
  if (r == 0) { printf("null"); return; }
  for (int k = 0; k < MAXARGS; k++) {
    uintptr_t low = (uintptr_t)(region + (size_t)k * 2 * PAGE);
    if (r >= low && r < low + 2 * PAGE) { printf("buffer%d%+lld", k, (long long)(r - (uintptr_t)buffer(k))); return; }
  }
  printf("other");
}

static void print_output(int out) {
  unsigned char bytes[4096];
  uint64_t hash = 0xcbf29ce484222325ULL;
  long length = 0;
  char head[129] = "";
  ssize_t n;
  lseek(out, 0, SEEK_SET);
  while ((n = read(out, bytes, sizeof bytes)) > 0) {
    for (ssize_t i = 0; i < n; i++, length++) {
      hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
      if (length < 64) sprintf(head + 2 * length, "%02x", bytes[i]);
    }
  }
  printf("out=%ld:%016llx:%s", length, (unsigned long long)hash, head);
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(int argc, char **argv) {
  static char run[NFUT][NCALLS];
  long call_ms = 250, budget_ms = 10000;
  FILE *control = argc > 1 ? fopen(argv[1], "r") : NULL;
  memset(run, 1, sizeof run);
  if (control != NULL) {
    if (fscanf(control, "%ld %ld", &call_ms, &budget_ms) != 2) return 2;
    for (int f = 0; f < NFUT; f++)
      for (int c = 0; c < NCALLS; c++) {
        int ch;
        do ch = getc(control); while (ch == '\\n' || ch == ' ');
        run[f][c] = ch == '1';
      }
    fclose(control);
  }
  size_t size = (size_t)MAXARGS * 2 * PAGE;
  region = mmap((void *)REGION_AT, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (region == MAP_FAILED) region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  result = mmap(NULL, sizeof *result, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  FILE *capture = tmpfile();
  if (region == MAP_FAILED || result == MAP_FAILED || capture == NULL) return 3;
  for (int k = 0; k < MAXARGS; k++) mprotect(region + (size_t)k * 2 * PAGE + PAGE, PAGE, PROT_NONE);
  int out = fileno(capture);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  putchar('\\n');
  for (int f = 0; f < NFUT; f++)
    for (int c = 0; c < NCALLS; c++) {
      printf("R %d %d ", f, c);
      if (!run[f][c]) { puts("skip"); continue; }
      if (elapsed_ms(&start) > budget_ms) { puts("budget"); continue; }
      memset(result, 0, sizeof *result);
      if (ftruncate(out, 0) != 0 || lseek(out, 0, SEEK_SET) != 0) return 4;
      fflush(NULL);
      pid_t pid = fork();
      if (pid < 0) { puts("budget"); continue; }
      if (pid == 0) run_call(&FUT[f], ARGS[f][c], out, call_ms);
      /* The timer can be blocked by the function: past twice its time the child is killed. */
      struct timespec called;
      clock_gettime(CLOCK_MONOTONIC, &called);
      int status, killed = 0;
      for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) return 5;
        if (!killed && elapsed_ms(&called) > 2 * call_ms + 100) killed = kill(pid, SIGKILL) == 0;
        struct timespec pause = { 0, 200000 };
        nanosleep(&pause, NULL);
      }
      if (WIFSIGNALED(status)) {
        if (WTERMSIG(status) == SIGALRM || killed) puts("timeout");
        else printf("crash %s\\n", signal_name(WTERMSIG(status)));
        continue;
      }
      if (!result->done) {
        printf("exit %d ", WEXITSTATUS(status));
        print_output(out);
        putchar('\\n');
        continue;
      }
      printf("ret=");
      print_result(&FUT[f], result->ret);
      putchar(' ');
      print_output(out);
      for (int k = 0; FUT[f].kinds[k]; k++) {
        if (FUT[f].kinds[k] != 'p') continue;
        printf(" m%d=", k);
        if (ARGS[f][c][k] == 0) { printf("null"); continue; }
        for (int i = 0; i < BUF; i++) printf("%02x", result->mem[k][i]);
      }
      putchar('\\n');
    }
  return 0;
}
`;

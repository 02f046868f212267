/* Loops, arrays and a call: exercises licm, loop-unroll, gvn-sink, inlining. */
static int table[64];

static int square(int x) { return x * x; }

int fill(int n) {
  int sum = 0;
  for (int i = 0; i < n && i < 64; i++) {
    table[i] = square(i) + (i & 3);
    sum += table[i];
  }
  return sum;
}

int pick(int a, int b, int c) {
  int r;
  if (a > b) {
    r = a * 3 + c;
  } else {
    r = b * 3 + c;
  }
  return r;
}

int main(void) { return fill(10) + pick(1, 2, 3) > 0 ? 0 : 1; }

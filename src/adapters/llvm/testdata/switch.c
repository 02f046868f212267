/* A switch, a struct returned by value, floating point and an indirect call. */
struct pair { int a; long b; };

struct pair make(int x) {
  struct pair p = {x, 2L * x};
  return p;
}

int classify(int x) {
  switch (x) {
  case 1: return 10;
  case 2: return 20;
  case 5: return 7;
  default: return x;
  }
}

double scale(double a, float b) { return a * b + 1.0; }

int apply(int (*f)(int), int v) { return f(v); }

int main(int argc, char **argv) {
  (void)argv;
  struct pair p = make(argc);
  return apply(classify, argc) + (int)p.b + (int)scale(1.5, 2.0f);
}

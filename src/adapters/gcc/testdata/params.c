/* Shapes whose -Os code size moves with --param budgets: a word counter (jump threading
   through a state flag), a checksum loop with invariant loads (loop-invariant motion)
   and a small tokenizer switch. */
#include <stdio.h>
#include <string.h>

static int count_words(const char *s) {
  int inword = 0, n = 0;
  for (; *s; s++) {
    int sp = (*s == ' ' || *s == '\t' || *s == '\n' || *s == ',');
    if (sp) inword = 0;
    else if (!inword) { inword = 1; n++; }
  }
  return n;
}

static unsigned checksum(const unsigned *v, int n, const unsigned *key, int rounds) {
  unsigned h = 0;
  for (int r = 0; r < rounds; r++)
    for (int i = 0; i < n; i++) {
      unsigned k = key[r & 3] * (unsigned)(r + 1) + key[(r + 1) & 3];
      h = (h ^ (v[i] + k)) * 16777619u;
      if (h & 1) h += key[2] << 3; else h -= key[3] >> 2;
    }
  return h;
}

static int classify(const char *s) {
  int score = 0;
  for (; *s; s++) {
    switch (*s) {
      case 'a': case 'e': case 'i': case 'o': case 'u': score += 3; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': score += 7; break;
      case ' ': score -= 1; break;
      case ',': case '.': case ';': score ^= 5; break;
      default: score += 1;
    }
    if (score > 1000) score -= 999;
  }
  return score;
}

int main(void) {
  static const char text[] = "the quick brown fox, 42 jumps over the lazy dog; again and again.";
  static const unsigned v[] = {1, 2, 3, 5, 8, 13, 21, 34};
  static const unsigned key[] = {0x9e3779b9u, 7, 11, 0x85ebca6bu};
  printf("%d %u %d\n", count_words(text), checksum(v, 8, key, 5), classify(text));
  return 0;
}

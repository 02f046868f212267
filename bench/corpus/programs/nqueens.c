/* nqueens.c - N-queens solution counting by bitmask backtracking and by array
 * backtracking with explicit conflict checks, plus symmetry-reduced counting.
 * Part of the OpenPassMarket benchmark corpus. */
#include <stdio.h>
#include <stdint.h>

#define MAX_N 12

static int cols[MAX_N];
static uint32_t first_solution_hash;
static int recorded;

static uint32_t solve_bits(uint32_t all, uint32_t ld, uint32_t cols_used, uint32_t rd) {
    if (cols_used == all) return 1;
    uint32_t count = 0;
    uint32_t free_cells = all & ~(ld | cols_used | rd);
    while (free_cells) {
        uint32_t bit = free_cells & (0u - free_cells);
        free_cells ^= bit;
        count += solve_bits(all, ((ld | bit) << 1) & all, cols_used | bit, (rd | bit) >> 1);
    }
    return count;
}

static uint32_t count_bits(int n) {
    uint32_t all = (1u << n) - 1u;
    return solve_bits(all, 0, 0, 0);
}

/* only place the first queen in the left half and double, fixing the middle for odd n */
static uint32_t count_symmetric(int n) {
    uint32_t all = (1u << n) - 1u, total = 0;
    for (int c = 0; c < n / 2; c++) {
        uint32_t bit = 1u << c;
        total += solve_bits(all, (bit << 1) & all, bit, bit >> 1);
    }
    total *= 2;
    if (n & 1) {
        uint32_t bit = 1u << (n / 2);
        total += solve_bits(all, (bit << 1) & all, bit, bit >> 1);
    }
    return total;
}

static int safe(int row, int col) {
    for (int r = 0; r < row; r++) {
        int c = cols[r];
        if (c == col || c - col == r - row || c - col == row - r) return 0;
    }
    return 1;
}

static uint32_t solve_array(int row, int n) {
    if (row == n) {
        if (!recorded) {
            recorded = 1;
            first_solution_hash = 0;
            for (int r = 0; r < n; r++) first_solution_hash = first_solution_hash * 16u + (uint32_t)cols[r];
        }
        return 1;
    }
    uint32_t count = 0;
    for (int c = 0; c < n; c++) {
        if (safe(row, c)) {
            cols[row] = c;
            count += solve_array(row + 1, n);
        }
    }
    return count;
}

int main(void) {
    uint32_t total = 0;
    int agree = 1;
    printf("nqueens");
    for (int n = 1; n <= 11; n++) {
        uint32_t a = count_bits(n);
        uint32_t s = count_symmetric(n);
        if (a != s) agree = 0;
        if (n <= 8) {
            recorded = 0;
            if (solve_array(0, n) != a) agree = 0;
        }
        total += a;
        printf(" %u", (unsigned)a);
    }
    printf("\ntotal=%u agree=%d first8=%08x\n", (unsigned)total, agree, (unsigned)first_solution_hash);
    return 0;
}

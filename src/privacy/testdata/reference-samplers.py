#!/usr/bin/env python3
"""An independent transcription of Canonne, Kamath and Steinke (2020), Algorithms 1-3, in
Python with exact integers, on the same SHA-256 counter-mode stream as seeded-random-source.ts.
It prints the pinned draws of random-source.test.ts (GOLDEN): 12 discrete Laplace draws with
scale 5, then 12 discrete Gaussian draws with sigma^2 = 10, for seed "opm-privacy".

    python3 src/privacy/testdata/reference-samplers.py
"""
import hashlib
from math import isqrt


class SeededSource:
    def __init__(self, seed):
        self.seed, self.counter, self.block, self.offset = seed.encode(), 0, b"", 0

    def next_bytes(self, count):
        out = bytearray()
        for _ in range(count):
            if self.offset == len(self.block):
                self.block = hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
                self.counter, self.offset = self.counter + 1, 0
            out.append(self.block[self.offset])
            self.offset += 1
        return out

    def uniform_below(self, bound):
        if bound == 1:
            return 0
        bits = (bound - 1).bit_length()
        count = (bits + 7) // 8
        mask = 0xFF >> (count * 8 - bits)
        while True:
            data = self.next_bytes(count)
            value = data[0] & mask
            for byte in data[1:]:
                value = (value << 8) | byte
            if value < bound:
                return value


def bernoulli_exp(num, den, rng):
    """Algorithm 1: Bernoulli(exp(-num/den))."""
    def at_most_one(n, d):
        k = 1
        while rng.uniform_below(d * k) < n:
            k += 1
        return k % 2 == 1
    whole = num // den
    for _ in range(whole):
        if not at_most_one(1, 1):
            return False
    return at_most_one(num - whole * den, den)


def discrete_laplace(t, s, rng):
    """Algorithm 2: discrete Laplace with scale t/s."""
    while True:
        u = rng.uniform_below(t)
        if not bernoulli_exp(u, t, rng):
            continue
        v = 0
        while bernoulli_exp(1, 1, rng):
            v += 1
        magnitude = (u + t * v) // s
        negative = rng.uniform_below(2) == 1
        if negative and magnitude == 0:
            continue
        return -magnitude if negative else magnitude


def discrete_gaussian(num, den, rng):
    """Algorithm 3: discrete Gaussian with sigma^2 = num/den."""
    t = isqrt(num // den) + 1
    while True:
        y = discrete_laplace(t, 1, rng)
        d = abs(y) * den * t - num
        if bernoulli_exp(d * d, 2 * num * den * t * t, rng):
            return y


if __name__ == "__main__":
    rng = SeededSource("opm-privacy")
    draws = [discrete_laplace(5, 1, rng) for _ in range(12)] + [discrete_gaussian(10, 1, rng) for _ in range(12)]
    print(" ".join(str(x) for x in draws))

"""Number-theory families."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import ints, size

FAMILIES = [
    Family(
        name="gcd_all",
        features={"mathematics": {"number theory": ["greatest common divisor"]}},
        args=[Arg("nums", "ints", "a", "n")],
        returns="int",
        fn="gcdOfArray",
        phrasings=[
            ("Common Divisor", "You are given {n} positive integers {a}. Find their greatest common divisor."),
            ("GCD of All", "Compute gcd({a}_1, {a}_2, ..., {a}_{n})."),
            ("Largest Shared Factor", "Find the largest integer that divides every element of {a}."),
            (
                "Measuring Stick",
                "Rods have lengths {a}. Find the longest integer length L of a measuring stick such that every rod "
                "is exactly a whole number of sticks long.",
            ),
            (
                "Euclid in Turn",
                "Start with g = 0 and, for every element x of {a} in turn, replace g by gcd(g, x). Output the final "
                "g.",
            ),
            (
                "Equal Packs",
                "Boxes contain {a} candies. All candies must be split into packs of one common size, with no box "
                "mixed or left over. What is the largest possible pack size?",
            ),
            (
                "Marching Rows",
                "There are {n} squads, with {a} soldiers respectively. Each squad must be lined up in complete rows, "
                "with the same number of soldiers in every row of every squad. At most how many soldiers can stand "
                "in one row?",
            ),
            (
                "Maximal Common Measure",
                "Output the maximum positive integer d such that {a} consists solely of multiples of d.",
            ),
        ],
        answer="the greatest common divisor",
        constraints=["1 <= {n} <= {p[NMAX]}", "1 <= {a_i} <= {p[HI]}"],
        params=lambda rng: {"NMAX": rng.choice([5, 10, 20]), "HI": rng.choice([100, 1000, 10**6])},
        gen=lambda p, s: _with_common_factor(p, s),
        body="import math\ng = 0\nfor x in nums:\n    g = math.gcd(g, x)\nreturn g",
        alternatives=["import math\nfrom functools import reduce\nreturn reduce(math.gcd, nums)"],
        buggy=["import math\nreturn math.gcd(min(nums), max(nums))", "return min(nums)"],
    ),
    Family(
        name="count_primes",
        features={"mathematics": {"number theory": ["primes", "sieve of Eratosthenes"]}},
        args=[Arg("n", "int")],
        returns="int",
        fn="countPrimes",
        phrasings=[
            (
                "Counting Primes",
                "You are given an integer {n}. Find how many prime numbers are less than or equal to {n}.",
            ),
            ("Prime Sieve", "Count the primes p with 2 <= p <= {n}."),
            ("Primes Up To N", "How many integers in the range 1..{n} are prime?"),
            ("Prime Counting Function", "Output pi({n}), the number of primes that are at most {n}."),
            (
                "Crossing Out Multiples",
                "Write the integers 2, 3, ..., {n} on a board. Repeatedly take the smallest number on the board not "
                "taken yet and erase all its larger multiples. How many numbers remain on the board at the end?",
            ),
            (
                "Lonely Numbers",
                "A number greater than 1 is lonely when its only divisors are 1 and itself. How many lonely numbers "
                "do not exceed {n}?",
            ),
            (
                "Irreducible Integers",
                "Call an integer x irreducible if x >= 2 and no integer strictly between 1 and x divides it. "
                "Determine how many irreducible integers x satisfy x <= {n}.",
            ),
            (
                "Prime Census",
                "A census counts every prime from 2 up to and including {n}. What number does the census report?",
            ),
        ],
        answer="the number of primes not exceeding {n}",
        constraints=["1 <= {n} <= {p[NMAX]}"],
        params=lambda rng: {"NMAX": rng.choice([100, 1000, 10000])},
        gen=lambda p, s: {"n": size(p, s)},
        body=(
            "if n < 2:\n"
            "    return 0\n"
            "sieve = [True] * (n + 1)\n"
            "sieve[0] = sieve[1] = False\n"
            "for i in range(2, int(n ** 0.5) + 1):\n"
            "    if sieve[i]:\n"
            "        for j in range(i * i, n + 1, i):\n"
            "            sieve[j] = False\n"
            "return sum(sieve)"
        ),
        alternatives=["return sum(1 for x in range(2, n + 1) if all(x % d for d in range(2, int(x ** 0.5) + 1)))"],
        buggy=[
            "return sum(1 for x in range(2, n) if all(x % d for d in range(2, int(x ** 0.5) + 1)))",
            "return sum(1 for x in range(1, n + 1) if all(x % d for d in range(2, int(x ** 0.5) + 1)))",
        ],
    ),
    Family(
        name="power_mod",
        features={"mathematics": {"modular arithmetic": ["fast exponentiation"]}},
        args=[Arg("a", "int"), Arg("b", "int"), Arg("m", "int")],
        returns="int",
        fn="powerMod",
        phrasings=[
            ("Modular Power", "You are given integers {a}, {b} and {m}. Find {a} to the power {b} modulo {m}."),
            ("Fast Exponent", "Compute ({a}^{b}) mod {m}."),
            (
                "Repeated Multiplication",
                "Multiply {a} by itself {b} times (the empty product is 1) and report the result modulo {m}.",
            ),
            (
                "Lock Settings",
                "A lock has {b} dials and each dial shows one of {a} symbols. How many different settings does the "
                "lock have, modulo {m}?",
            ),
            (
                "Square and Multiply",
                "Output the remainder of {a} raised to the {b}-th power when divided by {m} (any number to the "
                "power 0 is 1).",
            ),
            (
                "Bacteria",
                "A colony grows {a} times larger every hour, starting from one cell. After {b} hours, what is the "
                "number of cells modulo {m}?",
            ),
            (
                "Family Tree",
                "In a family tree every person has exactly {a} children. Starting from a single ancestor in "
                "generation 0, how many people are in generation {b}? Give the answer modulo {m}.",
            ),
            ("Residue of a Power", "Let P = {a}^{b}, where 0^0 is taken to be 1. Print P mod {m}."),
        ],
        answer="{a}^{b} mod {m}",
        constraints=["0 <= {a} <= {p[HI]}", "0 <= {b} <= {p[BMAX]}", "2 <= {m} <= {p[MMAX]}"],
        params=lambda rng: {
            "HI": rng.choice([10, 1000, 10**9]),
            "BMAX": rng.choice([20, 10**9]),
            "MMAX": rng.choice([1000, 10**9 + 7]),
        },
        gen=lambda p, s: {
            "a": random.randint(0, p["HI"]),
            "b": size({**p, "NMAX": p["BMAX"]}, s, 0),
            "m": random.randint(2, p["MMAX"]),
        },
        body="return pow(a, b, m)",
        alternatives=[
            "result = 1 % m\n"
            "base = a % m\n"
            "while b > 0:\n"
            "    if b & 1:\n"
            "        result = result * base % m\n"
            "    base = base * base % m\n"
            "    b >>= 1\n"
            "return result"
        ],
        buggy=["return pow(a, b % (m - 1), m)", "return pow(a % m, b % m, m)"],
    ),
    Family(
        name="divisor_sum",
        features={"mathematics": {"number theory": ["divisors"]}},
        args=[Arg("n", "int")],
        returns="int",
        fn="sumOfDivisors",
        phrasings=[
            (
                "Sum of Divisors",
                "You are given a positive integer {n}. Find the sum of all its positive divisors (including 1 and "
                "{n}).",
            ),
            ("Divisor Total", "Add up every d with 1 <= d <= {n} such that d divides {n}."),
            ("Sigma", "Compute sigma({n}), the sum of the divisors of {n}."),
            (
                "Rectangle Widths",
                "For every rectangle with integer width w and height h and area exactly {n} (w x h and h x w "
                "counted separately), take its width. Output the sum of these widths.",
            ),
            ("Exact Divisors", "Find all positive integers d for which {n} mod d is zero, and output their total."),
            (
                "Fair Shares",
                "A prize of {n} coins can be shared equally among d people whenever d divides {n}. Add up all such "
                "group sizes d.",
            ),
            (
                "Team Sizes",
                "A class of {n} pupils can be divided into teams of d pupils each, leaving nobody out, for certain "
                "positive integers d (including d = 1 and d = {n}). Report the total of all such d.",
            ),
            ("Divisor Function", "What is the sum of d over all positive integers d dividing {n}?"),
        ],
        answer="the sum of the divisors of {n}",
        constraints=["1 <= {n} <= {p[NMAX]}"],
        params=lambda rng: {"NMAX": rng.choice([100, 10000, 10**6])},
        gen=lambda p, s: {"n": size(p, s)},
        body=(
            "total = 0\n"
            "d = 1\n"
            "while d * d <= n:\n"
            "    if n % d == 0:\n"
            "        total += d\n"
            "        if d != n // d:\n"
            "            total += n // d\n"
            "    d += 1\n"
            "return total"
        ),
        buggy=[
            "total = 0\n"
            "d = 1\n"
            "while d * d <= n:\n"
            "    if n % d == 0:\n"
            "        total += d + n // d\n"
            "    d += 1\n"
            "return total",
            "return sum(d for d in range(1, n) if n % d == 0)",
        ],
    ),
    Family(
        name="digit_sum",
        features={"mathematics": {"number representation": ["decimal digits"]}},
        args=[Arg("nums", "ints", "a", "n")],
        returns="ints",
        fn="digitSums",
        phrasings=[
            (
                "Digit Sums",
                "You are given {n} non-negative integers {a}. For each of them, find the sum of its decimal digits.",
            ),
            ("Add the Digits", "Replace every number of {a} by the sum of its digits and output the resulting list."),
            ("Cross Sums", "Compute the cross sum (sum of digits) of each {a_i}."),
            (
                "Digit Weights",
                "The weight of a number is the total of its decimal digits, e.g. 507 weighs 12. Output the weight "
                "of every element of {a}, in the given order.",
            ),
            (
                "Peel the Digits",
                "For each {a_i}, repeatedly take its last digit and divide it by ten, dropping the remainder, until "
                "it becomes zero, accumulating the digits taken. Print these totals for all elements in order.",
            ),
            (
                "Receipt Check",
                "A cashier checks each amount {a_i} by adding up its digits. Which check values does the cashier "
                "write down, in order?",
            ),
            (
                "Odometer Readings",
                "Several odometers show the readings {a}. For every reading, add together the digits written in base "
                "ten, and list these {n} totals in the same order as the readings.",
            ),
            (
                "Decimal Digit Totals",
                "Output, in order, s(x) for each element x of {a}, where s(x) is the sum of the base-10 digits of x.",
            ),
        ],
        answer="the digit sums in order",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}"],
        params=lambda rng: {"NMAX": rng.choice([5, 10]), "HI": rng.choice([999, 10**6, 10**9])},
        gen=lambda p, s: {"nums": ints(size(p, s), 0, p["HI"])},
        body="return [sum(int(c) for c in str(x)) for x in nums]",
        alternatives=[
            "out = []\n"
            "for x in nums:\n"
            "    total = 0\n"
            "    while x > 0:\n"
            "        total += x % 10\n"
            "        x //= 10\n"
            "    out.append(total)\n"
            "return out"
        ],
        buggy=["return [sum(int(c) for c in str(x)[1:]) for x in nums]", "return [x % 9 for x in nums]"],
    ),
]


def _with_common_factor(p: dict, scale: str) -> dict:
    """Multiples of a random factor, so the gcd is usually not 1."""
    n = size(p, scale)
    g = random.choice([1, 2, 3, 6, random.randint(1, 50)])
    hi = max(1, p["HI"] // g)
    return {"nums": [g * x for x in ints(n, 1, hi)]}

"""Arithmetic and counting families."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import ints, size

A = Arg("nums", "ints", "a", "n")


def _range(rng: random.Random) -> dict:
    return {"NMAX": rng.choice([8, 10, 15, 20, 30]), "HI": rng.choice([9, 50, 100, 1000])}


FAMILIES = [
    Family(
        name="sum_mod",
        features={"mathematics": {"modular arithmetic": ["sum modulo m"]}, "data structures": ["array"]},
        args=[A, Arg("m", "int")],
        returns="int",
        fn="sumModulo",
        phrasings=[
            (
                "Sum Modulo",
                "You are given an array {a} of {n} integers and an integer {m}. Find the sum of all elements of {a} "
                "taken modulo {m}.",
            ),
            (
                "Remainder of the Total",
                "Add up all {n} numbers of {a} and compute the remainder of the total when divided by {m}.",
            ),
            ("Modular Sum", "Given the values {a_i} and a modulus {m}, determine their sum mod {m}."),
            (
                "Dial Hand",
                "A hand on a dial with {m} marks, numbered from 0, starts at mark 0 and moves forward {a_i} marks "
                "for each i in turn. At which mark does it stop?",
            ),
            (
                "Running Counter",
                "Starting from zero, add each {a_i} to a counter in turn and give the final counter value reduced "
                "modulo {m}.",
            ),
            (
                "Leftover After Division",
                "Numbers {a} are summed; what is left over when that sum is split into groups of {m}?",
            ),
            (
                "Register Display",
                "A cash register displays only the remainder of its running total upon division by {m}. It starts at "
                "zero and records the amounts {a} one by one; what is displayed at the end?",
            ),
            (
                "Residue of a Total",
                "Let S be the total of all {a_i}. Output the integer r with 0 <= r < {m} for which S - r is a "
                "multiple of {m}.",
            ),
        ],
        answer="the sum of the elements modulo {m}",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}", "2 <= {m} <= {p[MMAX]}"],
        params=lambda rng: {**_range(rng), "MMAX": rng.choice([10, 97, 1000])},
        gen=lambda p, s: {"nums": ints(size(p, s), 0, p["HI"]), "m": random.randint(2, p["MMAX"])},
        body="return sum(nums) % m",
        alternatives=["total = 0\nfor x in nums:\n    total = (total + x) % m\nreturn total"],
        buggy=["return sum(x % m for x in nums)", "return sum(nums[1:]) % m"],
    ),
    Family(
        name="count_divisible",
        features={"mathematics": {"divisibility": ["multiples of k"]}, "algorithms": ["counting"]},
        args=[A, Arg("k", "int")],
        returns="int",
        fn="countDivisible",
        phrasings=[
            (
                "Multiples",
                "You are given {n} integers {a} and an integer {k}. Count how many of the numbers are divisible by "
                "{k}.",
            ),
            ("Divisible Elements", "How many elements of the array {a} are multiples of {k}?"),
            (
                "Even Split",
                "An element {a_i} is good if it can be divided by {k} without remainder. Find the number of good "
                "elements.",
            ),
            ("Factor Check", "For how many indices i is {k} a factor of {a_i}?"),
            (
                "Full Buses",
                "Tour groups have {a} members. Every bus seats exactly {k} people, and a group is happy if it fills "
                "its buses with no seat left empty. How many groups are happy?",
            ),
            (
                "Clean Division",
                "Determine the count of values in {a} that leave remainder zero after division by {k}.",
            ),
            (
                "Shipping Crates",
                "A warehouse has {n} piles of items, of sizes {a}. A pile can be shipped only if it splits into "
                "crates of exactly {k} items each with nothing left over. How many piles can be shipped?",
            ),
            ("Zero Residues", "Output the number of positions i where {a_i} mod {k} equals 0."),
        ],
        answer="the number of elements divisible by {k}",
        constraints=["1 <= {n} <= {p[NMAX]}", "1 <= {a_i} <= {p[HI]}", "1 <= {k} <= {p[KMAX]}"],
        params=lambda rng: {**_range(rng), "KMAX": rng.choice([5, 10, 20])},
        gen=lambda p, s: {"nums": ints(size(p, s), 1, p["HI"]), "k": random.randint(1, p["KMAX"])},
        body="return sum(1 for x in nums if x % k == 0)",
        alternatives=["count = 0\nfor x in nums:\n    if x % k == 0:\n        count += 1\nreturn count"],
        buggy=["return sum(1 for x in nums[1:] if x % k == 0)", "return sum(1 for x in nums if k % x == 0)"],
    ),
    Family(
        name="max_minus_min",
        features={"algorithms": {"aggregation": ["maximum and minimum"]}, "data structures": ["array"]},
        args=[A],
        returns="int",
        fn="valueSpread",
        phrasings=[
            (
                "Spread",
                "You are given an array {a} of {n} integers. Find the difference between its largest and its smallest "
                "element.",
            ),
            ("Range of Values", "Compute max({a}) minus min({a}) for the given sequence {a}."),
            ("Highest Minus Lowest", "Among the numbers {a_i}, subtract the lowest value from the highest value."),
            ("Tallest and Shortest", "Tree heights are {a}. How much taller is the tallest tree than the shortest?"),
            ("Widest Difference", "Output the largest value of {a_i} - {a}_j, where i and j may be equal."),
            ("Gap Between Extremes", "How far apart are the greatest and the least of the {n} given numbers?"),
            (
                "Temperature Swing",
                "A thermometer logged the readings {a} over a day, some possibly below zero. By how many degrees "
                "does the warmest reading exceed the coldest one?",
            ),
            ("Peak to Trough", "Let H be the biggest entry of {a} and L its smallest entry; print H - L."),
        ],
        answer="the largest element minus the smallest element",
        constraints=["1 <= {n} <= {p[NMAX]}", "-{p[HI]} <= {a_i} <= {p[HI]}"],
        params=_range,
        gen=lambda p, s: {"nums": ints(size(p, s), -p["HI"], p["HI"])},
        body="return max(nums) - min(nums)",
        alternatives=["b = sorted(nums)\nreturn b[-1] - b[0]"],
        buggy=["return max(nums) - nums[0]", "return abs(nums[-1] - nums[0])"],
    ),
    Family(
        name="arith_sum",
        features={"mathematics": {"series": ["arithmetic progression"]}},
        args=[Arg("a", "int"), Arg("d", "int"), Arg("n", "int")],
        returns="int",
        fn="progressionSum",
        phrasings=[
            (
                "Progression Sum",
                "An arithmetic progression starts at {a} and each term is {d} more than the previous one. Find the "
                "sum of its first {n} terms.",
            ),
            ("Steps Up", "Compute {a} + ({a}+{d}) + ({a}+2{d}) + ... with {n} terms in total."),
            ("Evenly Spaced Sum", "Sum the {n} numbers that begin at {a} and are spaced {d} apart."),
            (
                "Savings Jar",
                "On day 1 you deposit {a} coins in a jar, and each following day's deposit is the previous deposit "
                "plus {d} (a negative deposit takes coins out, and the balance may be negative). How many coins are "
                "in the jar after {n} days?",
            ),
            ("Linear Terms", "Let x_i = {a} + (i - 1) * {d} for i = 1, ..., {n}. Output x_1 + x_2 + ... + x_{n}."),
            (
                "Ladder Total",
                "A ladder has {n} rungs; the first rung is worth {a} and every next rung is worth {d} more. What are "
                "all the rungs worth together?",
            ),
            (
                "Monthly Pay",
                "An employee earns {a} in the first month, and each later month pays exactly {d} more than the month "
                "before (so pay may shrink, even below zero). What is the total pay over the first {n} months?",
            ),
            ("Closed Form Series", "Evaluate the sum over k from 0 to {n} - 1 of ({a} + k * {d})."),
        ],
        answer="the sum of the first {n} terms",
        constraints=["-{p[HI]} <= {a} <= {p[HI]}", "-{p[HI]} <= {d} <= {p[HI]}", "1 <= {n} <= {p[NMAX]}"],
        params=lambda rng: {"HI": rng.choice([10, 100, 1000]), "NMAX": rng.choice([10, 100, 1000])},
        gen=lambda p, s: {
            "a": random.randint(-p["HI"], p["HI"]),
            "d": random.randint(-p["HI"], p["HI"]),
            "n": size(p, s),
        },
        body="return sum(a + i * d for i in range(n))",
        alternatives=["return n * a + d * n * (n - 1) // 2"],
        buggy=["return n * a + d * n * (n + 1) // 2", "return sum(a + i * d for i in range(1, n + 1))"],
    ),
    Family(
        name="count_in_range",
        features={"algorithms": ["counting"], "mathematics": ["intervals"]},
        args=[A, Arg("l", "int"), Arg("r", "int")],
        returns="int",
        fn="countInRange",
        phrasings=[
            (
                "Inside the Range",
                "You are given {n} integers {a} and two integers {l} and {r}. Count the elements x with {l} <= x <= "
                "{r}.",
            ),
            ("Between Bounds", "How many numbers of {a} lie in the closed interval [{l}, {r}]?"),
            ("Window of Values", "Count the indices i such that {a_i} is at least {l} and at most {r}."),
            (
                "Height Limit",
                "A ride lets on everyone whose height is from {l} up to {r}, both ends allowed. The visitors' "
                "heights are {a}. How many of them may ride?",
            ),
            (
                "Survivors of the Cut",
                "Discard every element of {a} that is less than {l} or greater than {r}. How many elements survive?",
            ),
            (
                "Accepted Readings",
                "A reading {a_i} is accepted when it is not below {l} and not above {r}. Find how many readings are "
                "accepted.",
            ),
            (
                "Speed Check",
                "A camera records the speeds {a} of passing cars and marks a car as normal when its speed is no less "
                "than {l} and no more than {r}. How many cars are normal?",
            ),
            (
                "Entries in Range",
                "Print how many of the {n} entries of {a} fall within the inclusive range from {l} to {r}.",
            ),
        ],
        answer="the number of elements in [{l}, {r}]",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}", "0 <= {l} <= {r} <= {p[HI]}"],
        params=_range,
        gen=lambda p, s: dict(zip(("l", "r"), sorted(ints(2, 0, p["HI"]))), nums=ints(size(p, s), 0, p["HI"])),
        body="return sum(1 for x in nums if l <= x <= r)",
        buggy=["return sum(1 for x in nums if l < x < r)", "return sum(1 for x in nums if l <= x < r)"],
    ),
]

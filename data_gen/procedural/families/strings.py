"""String families."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import size, word

S = Arg("s", "str")


def _len(rng: random.Random) -> dict:
    return {"NMAX": rng.choice([8, 12, 20, 50]), "SIGMA": rng.choice([2, 3, 5, 26])}


def _alphabet(p: dict) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[: p["SIGMA"]]


def _word(p: dict, scale: str, lo: int = 1) -> str:
    return word(size(p, scale, lo), _alphabet(p))


LOWER_ONLY = "{s} consists of lowercase English letters"

FAMILIES = [
    Family(
        name="count_vowels",
        features={"strings": {"character classes": ["vowels"]}, "algorithms": ["counting"]},
        args=[S],
        returns="int",
        fn="countVowels",
        phrasings=[
            (
                "Vowel Count",
                "You are given a string {s}. Count how many of its characters are vowels (a, e, i, o, u).",
            ),
            ("Vowels Only", "How many letters of {s} are one of a, e, i, o or u?"),
            ("Sound Letters", "The letters a, e, i, o and u are vowels. Find the number of vowel positions in {s}."),
            ("Vowel Tally", "Tally each a, e, i, o or u in {s} and give the tally."),
            ("Long Notes", "A singer holds a note on each a, e, i, o or u of the song {s}. How many notes?"),
            ("Open Sounds", "Report how often the characters a, e, i, o, u appear in total in the word {s}."),
            (
                "Sticky Keys",
                "Mia types {s} on a keyboard where the keys a, e and i, along with the keys o and u, do not work. "
                "How many characters of {s} fail to print?",
            ),
            (
                "Membership Sum",
                "Count the indices j for which the j-th character of {s} occurs in the five-letter string aeiou.",
            ),
        ],
        answer="the number of vowels in {s}",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY],
        params=lambda rng: {**_len(rng), "SIGMA": 26},
        gen=lambda p, s: {"s": _word(p, s)},
        body='return sum(1 for c in s if c in "aeiou")',
        alternatives=['count = 0\nfor c in s:\n    if c in "aeiou":\n        count += 1\nreturn count'],
        buggy=['return sum(1 for c in s if c in "aeio")', 'return len(set(c for c in s if c in "aeiou"))'],
    ),
    Family(
        name="is_palindrome",
        features={"strings": {"symmetry": ["palindrome check"]}},
        args=[S],
        returns="bool",
        fn="isPalindrome",
        phrasings=[
            ("Palindrome", "You are given a string {s}. Decide whether it reads the same forwards and backwards."),
            ("Mirror Word", "Check if the string {s} is a palindrome."),
            ("Same Both Ways", "Reversing {s} gives a string; determine whether that string equals {s}."),
            ("Two Readers", "One person reads {s} left to right, another right to left. Do both read the same word?"),
            ("Backward Spelling", "Is {s} spelled identically when you spell it from the end to the beginning?"),
            (
                "Symmetric Text",
                "Is the sequence of letters {s} symmetric, so that its first letter equals its last, its second "
                "equals its second-to-last, and so on?",
            ),
            (
                "Matching Ends",
                "Pair the i-th character of {s} from the start with the i-th character from the end. Do all such "
                "pairs match?",
            ),
            ("Reverse Equals Original", "Does {s} coincide with its own reversal, character for character?"),
        ],
        answer="{s} is a palindrome",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY],
        params=_len,
        gen=lambda p, s: {"s": _pal_or_not(p, s)},
        body="return s == s[::-1]",
        alternatives=[
            "i, j = 0, len(s) - 1\n"
            "while i < j:\n"
            "    if s[i] != s[j]:\n"
            "        return False\n"
            "    i += 1\n"
            "    j -= 1\n"
            "return True"
        ],
        buggy=["return s[0] == s[-1]", "return s[: len(s) // 2] == s[len(s) // 2 :]"],
    ),
    Family(
        name="longest_run",
        features={"strings": {"runs": ["longest block of equal characters"]}, "algorithms": ["linear scan"]},
        args=[S],
        returns="int",
        fn="longestRun",
        phrasings=[
            (
                "Longest Block",
                "You are given a string {s}. Find the length of the longest block of consecutive equal characters.",
            ),
            ("Repeated Letters", "What is the maximum number of times the same letter appears in a row in {s}?"),
            (
                "Streak",
                "A streak is a maximal substring of {s} made of one repeated character. Find the length of the "
                "longest streak.",
            ),
            ("Same Key Pressed", "While typing {s}, how many times in a row at most is the same key pressed?"),
            (
                "Beads on a Thread",
                "Each letter of {s} is the colour of one bead on a thread, in order. Find the largest number of "
                "adjacent beads of one colour that follow each other without interruption.",
            ),
            (
                "Uniform Stretch",
                "Determine the longest contiguous piece of {s} in which all characters coincide, and give its length.",
            ),
            (
                "Weather Diary",
                "The weather on successive days is recorded as the letters of {s}, one letter per day. How many days "
                "does the longest period of unchanging weather last?",
            ),
            ("Maximal Run", "Among all substrings of {s} whose letters are all identical, how long is the longest?"),
        ],
        answer="the length of the longest block of equal characters",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY],
        params=_len,
        gen=lambda p, s: {"s": _word(p, s)},
        body=(
            "best = cur = 1\n"
            "for i in range(1, len(s)):\n"
            "    cur = cur + 1 if s[i] == s[i - 1] else 1\n"
            "    best = max(best, cur)\n"
            "return best"
        ),
        alternatives=["from itertools import groupby\nreturn max(len(list(g)) for _, g in groupby(s))"],
        buggy=[
            "best = cur = 1\n"
            "for i in range(1, len(s) - 1):\n"
            "    cur = cur + 1 if s[i] == s[i - 1] else 1\n"
            "    best = max(best, cur)\n"
            "return best",
            "return max(s.count(c) for c in set(s))",
        ],
    ),
    Family(
        name="caesar_shift",
        features={"strings": {"character arithmetic": ["cyclic shift of letters"]}},
        args=[S, Arg("k", "int")],
        returns="str",
        fn="shiftLetters",
        phrasings=[
            (
                "Caesar Cipher",
                "You are given a string {s} and an integer {k}. Replace every letter by the letter {k} positions "
                "later in the alphabet, wrapping around after z.",
            ),
            ("Shifted Word", "Encrypt {s} with a Caesar cipher of shift {k} (z is followed by a)."),
            (
                "Rotate the Alphabet",
                "Move each character of {s} forward by {k} letters cyclically and find the resulting string.",
            ),
            (
                "Letter Wheel",
                "The letters a to z are written around a wheel, with a right after z. Turn each letter of {s} {k} "
                "places further around the wheel (one place turns a into b) and output the new word.",
            ),
            (
                "Letter Numbers",
                "Number the letters a = 0, b = 1, ..., z = 25. Change each letter of {s} with number x into the "
                "letter with number (x + {k}) mod 26 and output the string obtained.",
            ),
            (
                "Secret Message",
                "A spy hides the message {s} by advancing each letter {k} steps through the alphabet, going from z "
                "back to a. What does the hidden message look like?",
            ),
            (
                "Prankster's Sign",
                "A shop sign reads {s}. Overnight, a prankster replaces every letter with the one that comes {k} "
                "letters after it in the alphabet, treating the alphabet as a loop so that after z comes a again. "
                "What does the sign say now?",
            ),
            (
                "Modular Shift",
                "Index the alphabet from a = 0 to z = 25. Every character of {s} with index x must become the "
                "character with index (x + {k}) modulo 26; output the string that results.",
            ),
        ],
        answer="the shifted string",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY, "0 <= {k} <= {p[KMAX]}"],
        params=lambda rng: {**_len(rng), "SIGMA": 26, "KMAX": rng.choice([25, 100])},
        gen=lambda p, s: {"s": _word(p, s), "k": random.randint(0, p["KMAX"])},
        body='return "".join(chr((ord(c) - 97 + k) % 26 + 97) for c in s)',
        buggy=[
            'return "".join(chr((ord(c) - 97 + k) % 25 + 97) for c in s)',
            'return "".join(chr(ord(c) + k) if ord(c) + k <= 122 else chr(ord(c) + k - 26) for c in s)',
        ],
    ),
    Family(
        name="distinct_chars",
        features={"strings": ["character set"], "data structures": ["set"]},
        args=[S],
        returns="int",
        fn="distinctLetters",
        phrasings=[
            ("Different Letters", "You are given a string {s}. Find the number of distinct characters in it."),
            ("Alphabet Used", "How many different letters occur in {s}?"),
            ("Unique Symbols", "Count the characters of the alphabet that appear at least once in {s}."),
            (
                "Letter Stamps",
                "Printing {s} needs one reusable stamp per letter that occurs in it. How many stamps are needed?",
            ),
            ("Set Size", "Put every character of {s} into a set, ignoring repeats. How large is the set?"),
            ("Variety", "Report how many kinds of letters the word {s} is built from."),
            (
                "Painted Word",
                "An artist paints the word {s} so that equal letters always get the same colour and different "
                "letters always get different colours. How many colours appear in the painting?",
            ),
            (
                "Remove Duplicates",
                "If you remove all repeated letters from {s}, keeping only one copy of each letter, how long is the "
                "remaining string?",
            ),
        ],
        answer="the number of distinct characters",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY],
        params=lambda rng: {**_len(rng), "SIGMA": rng.choice([5, 10, 26])},
        gen=lambda p, s: {"s": _word(p, s)},
        body="return len(set(s))",
        buggy=["return sum(1 for i in range(1, len(s)) if s[i] != s[i - 1]) + 1"],
    ),
    Family(
        name="run_length",
        features={"strings": {"compression": ["run-length encoding"]}},
        args=[S],
        returns="str",
        fn="encode",
        phrasings=[
            (
                "Run-Length Encoding",
                "You are given a string {s}. Replace every maximal block of equal characters by the character "
                "followed by the block length, e.g. aaab becomes a3b1.",
            ),
            (
                "Compress",
                "Compress {s} by writing each run of a repeated letter as the letter and its count (so abb becomes "
                "a1b2).",
            ),
            (
                "Letter Counts in Order",
                "Split {s} into maximal runs of one letter and write each run as letter plus length, in order (zzy "
                "gives z2y1).",
            ),
            (
                "Dictation",
                "Read {s} aloud stretch by stretch: for each maximal stretch of one repeated letter, write the "
                "letter and then how many times it repeats, so bbbaa is written b3a2. Output the written text.",
            ),
            (
                "Counted Runs",
                "Walk through {s}; whenever the letter changes, and at the end, write down the letter just finished "
                "and the size of its run, so that xyyy yields x1y3. What do you write?",
            ),
            (
                "Packed Word",
                "To store {s} compactly, each group of neighbouring identical letters is stored as that letter and "
                "how long the group is; e.g. ccd is stored as c2d1. Produce the stored form.",
            ),
            (
                "Knitting Pattern",
                "A knitting pattern {s} lists one stitch type per letter. Rewrite it the way knitters abbreviate: "
                "each maximal group of consecutive identical stitches becomes the stitch letter followed by the "
                "group's size, so kkkpp becomes k3p2. Give the abbreviation.",
            ),
            (
                "Segment Description",
                "Describe {s} as a sequence of maximal segments made of a single repeated letter; for each segment "
                "from left to right, write its letter immediately followed by its length in decimal, with no "
                "separators. For example, qqqqr is described as q4r1.",
            ),
        ],
        answer="the encoded string",
        constraints=["1 <= {len_s} <= {p[NMAX]}", LOWER_ONLY],
        params=_len,
        gen=lambda p, s: {"s": _word(p, s)},
        body=(
            "out = []\n"
            "i = 0\n"
            "while i < len(s):\n"
            "    j = i\n"
            "    while j < len(s) and s[j] == s[i]:\n"
            "        j += 1\n"
            "    out.append(s[i] + str(j - i))\n"
            "    i = j\n"
            'return "".join(out)'
        ),
        alternatives=['from itertools import groupby\nreturn "".join(c + str(len(list(g))) for c, g in groupby(s))'],
        buggy=['return "".join(c + str(s.count(c)) for c in sorted(set(s)))'],
    ),
    Family(
        name="count_occurrences",
        features={"strings": {"pattern matching": ["overlapping occurrences"]}},
        args=[S, Arg("t", "str")],
        returns="int",
        fn="countOccurrences",
        phrasings=[
            (
                "Pattern Count",
                "You are given two strings {s} and {t}. Count the positions where {t} occurs in {s} as a substring "
                "(occurrences may overlap).",
            ),
            ("Overlapping Matches", "How many times does {t} appear inside {s}, counting overlapping occurrences?"),
            ("Find Every Copy", "Count the indices i such that the substring of {s} starting at i equals {t}."),
            (
                "Word Search",
                "Count the starting positions in {s} from which the letters of {t} can be read consecutively; two "
                "such readings may share letters.",
            ),
            (
                "Motif Hits",
                "A text {s} is scanned for the motif {t}. Every place where the motif begins counts as a hit, even "
                "if it overlaps an earlier hit. How many hits are there?",
            ),
            ("Echoes", "Slide {t} along {s} one letter at a time and report how many placements match exactly."),
            (
                "Birdsong",
                "An ornithologist writes down a bird's song as the string {s} and wants to know how often the phrase "
                "{t} was sung. Count every starting point at which {t} appears in {s}, including occurrences that "
                "overlap one another.",
            ),
            (
                "Matching Windows",
                "Consider every window of {s} that has exactly the length of {t}. How many of these windows are "
                "equal to {t}?",
            ),
        ],
        answer="the number of occurrences of {t} in {s}",
        constraints=["1 <= {len_t} <= {len_s} <= {p[NMAX]}", "{s} and {t} consist of lowercase English letters"],
        params=lambda rng: {**_len(rng), "SIGMA": rng.choice([2, 3])},
        gen=lambda p, s: _text_and_pattern(p, s),
        body="return sum(1 for i in range(len(s) - len(t) + 1) if s[i:i + len(t)] == t)",
        buggy=["return s.count(t)", "return sum(1 for i in range(len(s) - len(t)) if s[i:i + len(t)] == t)"],
    ),
]


def _pal_or_not(p: dict, scale: str) -> str:
    w = _word(p, scale)
    if random.random() < 0.5:  # half palindromes, or the answer is almost always "No"
        half = w[: (len(w) + 1) // 2]
        w = half + half[: len(w) // 2][::-1]
    return w


def _text_and_pattern(p: dict, scale: str) -> dict:
    s = _word(p, scale, lo=2)
    length = random.randint(1, min(3, len(s)))
    # half the patterns are periodic (aa, aba), which overlap themselves
    t = word(length, _alphabet(p)) if random.random() < 0.5 else (random.choice(_alphabet(p)) * 2 + "ab")[:length]
    return {"s": s, "t": t}

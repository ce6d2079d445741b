"""Simple dynamic-programming families."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import digit_grid, ints, size, word

A = Arg("nums", "ints", "a", "n")


def _arr(rng: random.Random, lo: int | None = None) -> dict:
    hi = rng.choice([9, 50, 100])
    return {"NMAX": rng.choice([8, 10, 15, 20]), "LO": -hi if lo is None else lo, "HI": hi}


FAMILIES = [
    Family(
        name="max_subarray",
        features={"algorithms": {"dynamic programming": ["Kadane's algorithm"]}},
        args=[A],
        returns="int",
        fn="maxSubarraySum",
        phrasings=[
            (
                "Maximum Subarray",
                "You are given {n} integers {a}. Find the largest sum of a non-empty contiguous subarray.",
            ),
            ("Best Segment", "Choose l <= r to maximise {a}_l + ... + {a}_r and find that maximum."),
            ("Kadane", "Among all non-empty runs of consecutive elements of {a}, find the greatest total."),
            (
                "Richest Vein",
                "A mine shaft crosses layers worth {a}; a layer may cost more than it yields and be worth a "
                "negative amount. Dig out one non-empty block of adjacent layers. What is the most valuable block "
                "worth?",
            ),
            (
                "Cut Both Ends",
                "Delete any number of elements from the front of {a} and any number from the back, leaving at least "
                "one element. What is the largest possible sum of what remains?",
            ),
            (
                "Lucky Streak",
                "A gambler's result on day i is {a_i} (it may be negative). Over which stretch of consecutive days "
                "was the gain largest? Give the gain.",
            ),
            (
                "Window of Profit",
                "A shop logs its daily net profit as {a}, where losses appear as negative values. Pick a single "
                "unbroken period of at least one day so that the summed profit over it is as high as possible, and "
                "report that sum.",
            ),
            (
                "Interval Maximum",
                "Consider every index pair i <= j and the total of the elements of {a} from position i to position j, "
                "inclusive. Report the largest such total.",
            ),
        ],
        answer="the maximum subarray sum",
        constraints=["1 <= {n} <= {p[NMAX]}", "{p[LO]} <= {a_i} <= {p[HI]}"],
        params=_arr,
        gen=lambda p, s: {"nums": ints(size(p, s), p["LO"], p["HI"])},
        body=(
            "best = cur = nums[0]\n"
            "for x in nums[1:]:\n"
            "    cur = max(x, cur + x)\n"
            "    best = max(best, cur)\n"
            "return best"
        ),
        alternatives=["return max(sum(nums[i:j + 1]) for i in range(len(nums)) for j in range(i, len(nums)))"],
        buggy=[
            "best = cur = 0\nfor x in nums:\n    cur = max(0, cur + x)\n    best = max(best, cur)\nreturn best",
            "best = cur = nums[0]\nfor x in nums[1:]:\n    cur = max(x, cur + x)\nreturn max(best, cur)",
        ],
    ),
    Family(
        name="stair_ways",
        features={
            "algorithms": {"dynamic programming": ["counting paths", "Fibonacci recurrence"]},
            "mathematics": ["modular arithmetic"],
        },
        args=[Arg("n", "int"), Arg("m", "int")],
        returns="int",
        fn="climbWays",
        phrasings=[
            (
                "Climbing Stairs",
                "A staircase has {n} steps. Each move climbs 1 or 2 steps. Find the number of different ways to reach "
                "the top, modulo {m}.",
            ),
            ("Ones and Twos", "Count the sequences of 1s and 2s whose sum is {n}, and give the count modulo {m}."),
            (
                "Step Patterns",
                "In how many orders can you climb exactly {n} stairs taking one or two stairs at a time? Answer "
                "modulo {m}.",
            ),
            (
                "Frog Jumps",
                "A frog sits on stone 0 and wants to reach stone {n}; each jump moves it one or two stones forward. "
                "Count the possible jump sequences modulo {m}.",
            ),
            (
                "Short and Long Signals",
                "A signal is short (1 unit long) or long (2 units long). How many sequences of signals last exactly "
                "{n} units in total? Print the count modulo {m}.",
            ),
            (
                "Tiling a Strip",
                "A 1 x {n} strip is covered with tiles of length 1 and 2. How many coverings are there? Report the "
                "number modulo {m}.",
            ),
            (
                "Vending Coins",
                "A vending machine accepts only 1-cent and 2-cent coins, inserted one after another. In how many "
                "different orders of insertion can exactly {n} cents be paid? Give the result modulo {m}.",
            ),
            (
                "Drum Rhythms",
                "A drummer plays a rhythm lasting exactly {n} beats, built from single-beat and double-beat notes "
                "played one after another. How many different rhythms are possible? Output that number modulo {m}.",
            ),
        ],
        answer="the number of ways modulo {m}",
        constraints=["1 <= {n} <= {p[NMAX]}", "2 <= {m} <= {p[MMAX]}"],
        params=lambda rng: {"NMAX": rng.choice([20, 50, 100]), "MMAX": rng.choice([100, 1000, 1000000007])},
        gen=lambda p, s: {"n": size(p, s), "m": random.randint(2, p["MMAX"])},
        body="a, b = 1, 1\nfor _ in range(n - 1):\n    a, b = b, (a + b) % m\nreturn b % m",
        alternatives=[
            "ways = [1] * (n + 1)\n"
            "for i in range(2, n + 1):\n"
            "    ways[i] = (ways[i - 1] + ways[i - 2]) % m\n"
            "return ways[n] % m"
        ],
        buggy=[
            "a, b = 1, 1\nfor _ in range(n):\n    a, b = b, (a + b) % m\nreturn b % m",
            "a, b = 1, 1\nfor _ in range(n - 1):\n    a, b = b, a + b\nreturn b",
        ],
    ),
    Family(
        name="lis_length",
        features={"algorithms": {"dynamic programming": ["longest increasing subsequence"]}},
        args=[A],
        returns="int",
        fn="lengthOfLIS",
        phrasings=[
            (
                "Increasing Subsequence",
                "You are given {n} integers {a}. Find the length of the longest strictly increasing subsequence.",
            ),
            (
                "Rising Picks",
                "Delete some elements of {a} (keeping the order) so that the rest is strictly increasing. How many "
                "elements can remain at most?",
            ),
            (
                "LIS",
                "Compute the length of a longest subsequence of {a} in which every element is greater than the one "
                "before it.",
            ),
            (
                "Growing Chain",
                "Choose indices i_1 < i_2 < ... < i_t such that the values of {a} at these indices strictly "
                "increase. How large can t be?",
            ),
            (
                "Sorted Survivors",
                "Mark as many elements of {a} as possible so that, read left to right, the marked values form a "
                "strictly ascending list. Output how many are marked.",
            ),
            (
                "Mountain Climber",
                "A climber visits peaks with heights {a} in order and records only some of them, each higher than the "
                "previous record. What is the largest possible number of records?",
            ),
            (
                "Pricier Each Time",
                "Stall prices along a market street, in walking order, are {a}. A shopper buys at some stalls, and "
                "every purchase must cost strictly more than the one bought before it. At most how many items can the "
                "shopper buy?",
            ),
            (
                "Kept in Order",
                "What is the greatest number of entries of {a} that can be kept, in their original order, so that "
                "each kept entry is strictly larger than all kept entries to its left?",
            ),
        ],
        answer="the length of the longest strictly increasing subsequence",
        constraints=["1 <= {n} <= {p[NMAX]}", "{p[LO]} <= {a_i} <= {p[HI]}"],
        params=_arr,
        gen=lambda p, s: {"nums": ints(size(p, s), p["LO"], p["HI"])},
        body=(
            "best = [1] * len(nums)\n"
            "for i in range(len(nums)):\n"
            "    for j in range(i):\n"
            "        if nums[j] < nums[i]:\n"
            "            best[i] = max(best[i], best[j] + 1)\n"
            "return max(best)"
        ),
        alternatives=[
            "import bisect\n"
            "tails = []\n"
            "for x in nums:\n"
            "    i = bisect.bisect_left(tails, x)\n"
            "    if i == len(tails):\n"
            "        tails.append(x)\n"
            "    else:\n"
            "        tails[i] = x\n"
            "return len(tails)"
        ],
        buggy=[
            "best = [1] * len(nums)\n"
            "for i in range(len(nums)):\n"
            "    for j in range(i):\n"
            "        if nums[j] <= nums[i]:\n"
            "            best[i] = max(best[i], best[j] + 1)\n"
            "return max(best)",
            "count = 1\n"
            "for i in range(1, len(nums)):\n"
            "    if nums[i] > nums[i - 1]:\n"
            "        count += 1\n"
            "return count",
        ],
    ),
    Family(
        name="house_robber",
        features={"algorithms": {"dynamic programming": ["take or skip"]}},
        args=[A],
        returns="int",
        fn="maxNonAdjacent",
        phrasings=[
            (
                "No Two Adjacent",
                "You are given {n} non-negative integers {a}. Choose some elements, no two of them adjacent, with the "
                "largest possible sum. Find that sum.",
            ),
            (
                "House Robber",
                "Houses in a row hold {a} coins. A thief may not rob two neighbouring houses. What is the most the "
                "thief can take?",
            ),
            (
                "Skip a Step",
                "Pick a subset of positions of {a} with no two consecutive positions and maximise the sum of the "
                "picked values.",
            ),
            (
                "Party Invitations",
                "Guests sit along one side of a long table, and guest i brings a gift worth {a_i}. No two guests "
                "sitting next to each other may both be invited. What is the largest total value of gifts from the "
                "invited guests?",
            ),
            (
                "Gapped Selection",
                "Select indices of {a} so that any two selected indices differ by at least two. Output the largest "
                "possible sum of the selected elements; selecting nothing gives 0.",
            ),
            (
                "Garden Beds",
                "Flower beds in a line yield {a} flowers. Neighbouring beds cannot both be harvested. How many "
                "flowers can be harvested at most?",
            ),
            (
                "Radio Towers",
                "Along a highway there are {n} possible tower sites, and a tower at site i would serve {a_i} "
                "customers. Towers on two neighbouring sites would interfere with each other. Build towers so that as "
                "many customers as possible are served and report that number; building no towers at all is allowed.",
            ),
            (
                "Sparse Index Set",
                "Among all sets of indices of {a} in which any two members differ by more than one, including the "
                "empty set, how large can the sum of {a} over the set be?",
            ),
        ],
        answer="the maximum sum",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}"],
        params=lambda rng: _arr(rng, lo=0),
        gen=lambda p, s: {"nums": ints(size(p, s), 0, p["HI"])},
        body="take, skip = 0, 0\nfor x in nums:\n    take, skip = skip + x, max(take, skip)\nreturn max(take, skip)",
        alternatives=[
            "best = [0] * (len(nums) + 2)\n"
            "for i in range(len(nums) - 1, -1, -1):\n"
            "    best[i] = max(best[i + 1], nums[i] + best[i + 2])\n"
            "return best[0]"
        ],
        buggy=[
            "return max(sum(nums[::2]), sum(nums[1::2]))",
            "take, skip = 0, 0\nfor x in nums:\n    take, skip = skip + x, take\nreturn max(take, skip)",
        ],
    ),
    Family(
        name="grid_min_path",
        features={"algorithms": {"dynamic programming": ["grid paths"]}, "data structures": ["2D array"]},
        args=[Arg("grid", "grid", "g", "h w")],
        returns="int",
        fn="minPathSum",
        phrasings=[
            (
                "Minimum Path Sum",
                "You are given a grid of {h} rows and {w} columns of digits. Walk from the top-left cell to the "
                "bottom-right cell moving only right or down. Find the minimum possible sum of the digits on the "
                "path, both ends included.",
            ),
            (
                "Cheapest Route",
                "Each cell of an {h} x {w} grid has a cost from 0 to 9. Moving only down or right from the top-left "
                "corner to the bottom-right corner, minimise the total cost of visited cells.",
            ),
            (
                "Down and Right",
                "Find the smallest sum of digits along a monotone path (steps right or down) from the first cell of "
                "the grid to its last cell.",
            ),
            (
                "Toll Roads",
                "A city map is an {h} x {w} grid of digits; entering a cell costs its digit, and the starting cell "
                "is paid too. A driver starts in the first cell of the first row and stops in the last cell of the "
                "last row, each move going one cell right or one cell down. What is the smallest total toll?",
            ),
            (
                "Staircase Path",
                "A path of {h} + {w} - 1 cells starts in the upper-left corner of the digit grid and ends in the "
                "lower-right corner; each next cell is directly below or directly to the right of the previous one. "
                "Output the least possible sum of the digits on such a path.",
            ),
            (
                "Orchard Walk",
                "An orchard is an {h} by {w} grid; each cell holds a digit saying how many thorns grow there. A "
                "gardener walks from the north-west corner to the south-east corner, each step going south or east. "
                "How few thorns can the gardener meet?",
            ),
            (
                "Rocky Field",
                "A skier crosses a field divided into {h} x {w} squares, each marked with a digit giving how many "
                "rocks lie on it. Starting on the top-left square and finishing on the bottom-right one, the skier "
                "only ever moves one square down or one square to the right. Including the start and finish squares, "
                "what is the minimum number of rocks passed?",
            ),
            (
                "Lattice Path",
                "Among all lattice paths from cell (1, 1) to cell ({h}, {w}) of the digit table where every "
                "step increases either the row index or the column index by exactly one, find the least total of the "
                "digits in the visited cells, counting the first and last cells of the path.",
            ),
        ],
        answer="the minimum path sum",
        constraints=["1 <= {h}, {w} <= {p[NMAX]}", "every cell is a digit from 0 to 9"],
        params=lambda rng: {"NMAX": rng.choice([4, 5, 6, 8])},
        gen=lambda p, s: {"grid": digit_grid(size(p, s), size(p, s))},
        body=(
            "h, w = len(grid), len(grid[0])\n"
            "dp = [[0] * w for _ in range(h)]\n"
            "for i in range(h):\n"
            "    for j in range(w):\n"
            "        best = 0 if i == j == 0 else min(dp[i - 1][j] if i else 10**9, dp[i][j - 1] if j else 10**9)\n"
            "        dp[i][j] = best + int(grid[i][j])\n"
            "return dp[-1][-1]"
        ),
        buggy=[
            "h, w = len(grid), len(grid[0])\n"
            "total = int(grid[0][0])\n"
            "i = j = 0\n"
            "while i < h - 1 or j < w - 1:\n"
            "    if j == w - 1 or (i < h - 1 and grid[i + 1][j] <= grid[i][j + 1]):\n"
            "        i += 1\n"
            "    else:\n"
            "        j += 1\n"
            "    total += int(grid[i][j])\n"
            "return total"
        ],
    ),
    Family(
        name="edit_distance",
        features={"algorithms": {"dynamic programming": ["edit distance"]}, "strings": ["alignment"]},
        args=[Arg("s", "str"), Arg("t", "str")],
        returns="int",
        fn="minDistance",
        phrasings=[
            (
                "Edit Distance",
                "You are given two strings {s} and {t}. Find the minimum number of single-character insertions, "
                "deletions and replacements that turn {s} into {t}.",
            ),
            ("Levenshtein", "Compute the Levenshtein distance between {s} and {t}."),
            (
                "Fix the Typo",
                "One operation inserts, deletes or changes one letter. How many operations are needed at least to "
                "change {s} into {t}?",
            ),
            (
                "Gene Mutations",
                "A gene {s} mutates into {t}. A single mutation inserts one base, deletes one base or replaces one "
                "base by a different one. What is the fewest number of mutations that can explain the change?",
            ),
            (
                "Transform Cost",
                "You may add a character anywhere in {s}, erase a character, or overwrite a character with another; "
                "each such action is one step. Output the fewest steps that turn {s} into {t}.",
            ),
            (
                "Spelling Bee",
                "A contestant wrote {s} but the word was {t}. Each added, removed or substituted letter costs one "
                "point. What is the smallest possible penalty?",
            ),
            (
                "Editor Keystrokes",
                "A text editor has three commands, each costing one keystroke: put a new letter at any position, "
                "remove a letter, or replace a letter with another letter. Starting from the word {s}, what is the "
                "least number of keystrokes needed to obtain the word {t}?",
            ),
            (
                "Gapped Alignment",
                "Write {s} above {t}, inserting gap symbols into either string so that both rows reach the same "
                "length and no column holds two gaps. A column costs 1 if its two entries differ (a gap differs from "
                "every letter) and 0 otherwise. What is the minimum total cost of such an alignment?",
            ),
        ],
        answer="the minimum number of operations",
        constraints=["1 <= {len_s}, {len_t} <= {p[NMAX]}", "{s} and {t} consist of lowercase English letters"],
        params=lambda rng: {"NMAX": rng.choice([5, 8, 10]), "SIGMA": rng.choice([2, 3, 4])},
        gen=lambda p, s: {"s": word(size(p, s), "abcd"[: p["SIGMA"]]), "t": word(size(p, s), "abcd"[: p["SIGMA"]])},
        body=(
            "prev = list(range(len(t) + 1))\n"
            "for i in range(1, len(s) + 1):\n"
            "    cur = [i] + [0] * len(t)\n"
            "    for j in range(1, len(t) + 1):\n"
            "        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] != t[j - 1]))\n"
            "    prev = cur\n"
            "return prev[-1]"
        ),
        buggy=[
            "return sum(1 for a, b in zip(s, t) if a != b) + abs(len(s) - len(t))",
            "prev = list(range(len(t) + 1))\n"
            "for i in range(1, len(s) + 1):\n"
            "    cur = [i] + [0] * len(t)\n"
            "    for j in range(1, len(t) + 1):\n"
            "        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + 1)\n"
            "    prev = cur\n"
            "return prev[-1]",
        ],
    ),
]

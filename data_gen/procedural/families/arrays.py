"""Array families: sorting, prefix sums, two pointers / sliding windows, greedy."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import intervals, ints, size

A = Arg("nums", "ints", "a", "n")
K = Arg("k", "int")


def _arr(rng: random.Random, lo_choices=(0, -50, -1000), hi_choices=(9, 50, 100, 1000)) -> dict:
    hi = rng.choice(hi_choices)
    lo = rng.choice([c for c in lo_choices if c <= 0])
    return {"NMAX": rng.choice([8, 10, 15, 20, 30]), "LO": max(lo, -hi), "HI": hi}


def _nums(p: dict, scale: str, lo_n: int = 1) -> list[int]:
    return ints(size(p, scale, lo_n), p["LO"], p["HI"])


def _nums_k(p: dict, scale: str) -> dict:
    nums = _nums(p, scale)
    return {"nums": nums, "k": random.randint(1, len(nums))}


VALUES = "{p[LO]} <= {a_i} <= {p[HI]}"

SORTING = [
    Family(
        name="kth_smallest",
        features={"algorithms": {"sorting": ["order statistics"]}},
        args=[A, K],
        returns="int",
        fn="kthSmallest",
        phrasings=[
            (
                "K-th Smallest",
                "You are given {n} integers {a} and an integer {k}. Find the {k}-th smallest element (counting equal "
                "values separately).",
            ),
            (
                "Order Statistic",
                "Sort the array {a} in non-decreasing order and find the element at position {k} (1-indexed).",
            ),
            (
                "Ranked Value",
                "If the numbers {a_i} are lined up from smallest to largest, which number stands at place {k}?",
            ),
            (
                "Remove the Minimum",
                "Repeatedly remove one copy of the smallest remaining value from {a}. Which value is removed by "
                "removal number {k}?",
            ),
            (
                "Race Finish",
                "Runners finish a race with times {a}; a smaller time finishes earlier, and equal times take "
                "consecutive places in some order. What is the time of the runner finishing in place {k}?",
            ),
            (
                "Queue by Height",
                "Children with heights {a} line up from shortest to tallest. What is the height of the child standing "
                "{k}-th in line?",
            ),
            (
                "Golf Leaderboard",
                "In golf the lowest score leads. Given the round scores {a} of {n} players, where tied players still "
                "fill separate spots, what score is listed in spot {k} of the leaderboard?",
            ),
            (
                "Counting Threshold",
                "Output the least value x such that at least {k} of the numbers {a_i} are less than or equal to x.",
            ),
        ],
        answer="the {k}-th smallest element",
        constraints=["1 <= {k} <= {n} <= {p[NMAX]}", VALUES],
        params=_arr,
        gen=_nums_k,
        body="return sorted(nums)[k - 1]",
        alternatives=["b = sorted(nums)\nreturn b[k - 1]"],
        buggy=["return sorted(set(nums))[min(k, len(set(nums))) - 1]", "return sorted(nums, reverse=True)[k - 1]"],
    ),
    Family(
        name="min_gap",
        features={"algorithms": {"sorting": ["adjacent differences"]}},
        args=[A],
        returns="int",
        fn="minimumGap",
        phrasings=[
            (
                "Closest Pair",
                "You are given {n} integers {a}. Find the smallest absolute difference between two elements with "
                "different indices.",
            ),
            ("Nearest Values", "Among all pairs i < j, find the minimum of |{a_i} - {a}_j|."),
            ("Tightest Gap", "Sort the values {a} and find the minimum difference between neighbouring values."),
            (
                "Parking Spots",
                "Cars are parked at positions {a} along a street, and several cars may share a position. What is "
                "the shortest distance between two different cars?",
            ),
            (
                "Smallest Separation",
                "Of all pairs of positions in {a}, find the pair whose values differ the least and output that "
                "difference (never negative).",
            ),
            (
                "Close Call",
                "Two of the given {n} numbers are picked so that they are as close to each other as possible. How far "
                "apart are they?",
            ),
            (
                "Thermometer Log",
                "A weather station recorded {n} temperatures {a}, which may repeat or be below zero. What is the "
                "smallest difference, in degrees, between two readings taken at different times?",
            ),
            (
                "Least Distance",
                "Consider every two distinct indices i and j together with the quantity |{a_i} - {a}_j|. Report the "
                "least such quantity.",
            ),
        ],
        answer="the minimum absolute difference",
        constraints=["2 <= {n} <= {p[NMAX]}", VALUES],
        params=_arr,
        gen=lambda p, s: {"nums": _nums(p, s, 2)},
        body="b = sorted(nums)\nreturn min(b[i + 1] - b[i] for i in range(len(b) - 1))",
        alternatives=["return min(abs(x - y) for i, x in enumerate(nums) for y in nums[i + 1:])"],
        buggy=[
            "return min(abs(nums[i + 1] - nums[i]) for i in range(len(nums) - 1))",
            "b = sorted(set(nums))\nreturn min((b[i + 1] - b[i] for i in range(len(b) - 1)), default=0)",
        ],
    ),
    Family(
        name="top_k_sum",
        features={"algorithms": {"sorting": ["largest elements"], "greedy": ["take the best k"]}},
        args=[A, K],
        returns="int",
        fn="topKSum",
        phrasings=[
            (
                "Best K",
                "You are given {n} integers {a} and an integer {k}. Choose exactly {k} elements with the largest "
                "possible sum and find that sum.",
            ),
            ("Largest Elements", "Find the sum of the {k} largest values of the array {a}."),
            ("Pick the Top", "Sort {a} in decreasing order and add up its first {k} elements."),
            (
                "Coin Grab",
                "Coins have values {a}, and a value may be negative. You must take exactly {k} coins. What is the "
                "greatest total value you can take?",
            ),
            (
                "Drop the Rest",
                "Throw away the {n} - {k} smallest elements of {a} and output the sum of the elements left.",
            ),
            ("Prize Pool", "A jury keeps the {k} highest of the scores {a}. What is the total of the kept scores?"),
            (
                "Team Selection",
                "A coach must field exactly {k} of the {n} players, whose ratings {a} may be negative, and wants the "
                "fielded ratings to total as much as possible. What is that highest total?",
            ),
            (
                "Maximal Subset Sum",
                "Over all ways to choose a set of exactly {k} distinct indices of {a}, maximise the combined value "
                "of the corresponding elements and print that maximum.",
            ),
        ],
        answer="the maximum possible sum",
        constraints=["1 <= {k} <= {n} <= {p[NMAX]}", VALUES],
        params=_arr,
        gen=_nums_k,
        body="return sum(sorted(nums)[len(nums) - k:])",
        alternatives=["return sum(sorted(nums, reverse=True)[:k])"],
        buggy=["return sum(sorted(set(nums))[-k:])", "return sum(sorted(nums)[len(nums) - k + 1:]) + max(nums)"],
    ),
    Family(
        name="sorted_unique",
        features={"algorithms": {"sorting": ["deduplication"]}, "data structures": ["set"]},
        args=[A],
        returns="ints",
        fn="sortedUnique",
        phrasings=[
            ("Distinct Values", "You are given {n} integers {a}. List its distinct values in increasing order."),
            ("Remove Duplicates", "Remove repeated values from {a} and sort what remains in ascending order."),
            ("Set in Order", "Find all values that appear in {a} at least once, from smallest to largest."),
            ("Ticket Draw", "Tickets {a} were drawn, some repeatedly. List each ticket once, smallest first."),
            (
                "Merge Equal Neighbours",
                "Sort {a} in increasing order, then collapse each group of equal neighbours into one element.",
            ),
            (
                "Catalogue",
                "A shop keeps items with codes {a}. Produce the catalogue: every code once, in ascending order.",
            ),
            (
                "Stamp Album",
                "A collector owns stamps with face values {a}, including duplicates. One stamp of each value goes "
                "into an album, ordered from lowest value to highest. Which values go in, in that order?",
            ),
            (
                "Occurring Numbers",
                "Output the strictly increasing sequence whose members are exactly the numbers occurring in {a}.",
            ),
        ],
        answer="the distinct values in increasing order",
        constraints=["1 <= {n} <= {p[NMAX]}", VALUES],
        params=lambda rng: {**_arr(rng), "HI": rng.choice([5, 9, 20])},
        gen=lambda p, s: {"nums": _nums(p, s)},
        body="return sorted(set(nums))",
        buggy=["b = sorted(nums)\nreturn [b[i] for i in range(1, len(b)) if b[i] != b[i - 1]]"],
    ),
]

PREFIX_SUMS = [
    Family(
        name="range_sums",
        features={"algorithms": {"prefix sums": ["range sum queries"]}},
        args=[A, Arg("queries", "pairs", "query", "q", ("l", "r"))],
        returns="ints",
        fn="rangeSums",
        phrasings=[
            (
                "Range Sum Queries",
                "You are given an array {a} of {n} integers and {q} queries. For each query ({l_i}, {r_i}) find the "
                "sum of elements from position {l_i} to {r_i} (1-indexed, inclusive).",
            ),
            ("Segment Totals", "Answer {q} questions: what is {a}_l + ... + {a}_r for the given l and r?"),
            (
                "Interval Sums",
                "For each pair ({l_i}, {r_i}), add up the elements of {a} whose 1-based index lies between {l_i} and "
                "{r_i}.",
            ),
            (
                "Shelf Weights",
                "Book i on a shelf weighs {a_i}. For each of the {q} requests ({l_i}, {r_i}), give the total weight "
                "of books {l_i} through {r_i}, with books numbered from 1.",
            ),
            (
                "Subarray Totals",
                "Each of the {q} queries names a first index {l_i} and a last index {r_i} of {a}, counting from 1; "
                "answer each query with the sum of that piece of the array.",
            ),
            (
                "Daily Sales",
                "A shop sold {a_i} items on day i. For each of {q} periods from day {l_i} to day {r_i}, report the "
                "items sold in that period.",
            ),
            (
                "Toll Road",
                "A highway has {n} toll booths numbered 1 to {n}; booth i charges {a_i}, a negative charge being a "
                "rebate. Every one of the {q} drivers passes booths {l_i} through {r_i} inclusive; output each "
                "driver's total charge, drivers in the given order.",
            ),
            (
                "Prefix Differences",
                "Let S(t) denote {a}_1 + ... + {a}_t, with S(0) = 0. Answer each of the {q} pairs ({l_i}, {r_i}) "
                "with S({r_i}) - S({l_i} - 1), keeping the order of the pairs.",
            ),
        ],
        answer="the answers of the queries in order",
        constraints=["1 <= {n} <= {p[NMAX]}", VALUES, "1 <= {q} <= {p[QMAX]}", "1 <= {l_i} <= {r_i} <= {n}"],
        params=lambda rng: {**_arr(rng), "QMAX": rng.choice([5, 10])},
        gen=lambda p, s: _range_queries(p, s),
        body=(
            "pre = [0]\nfor x in nums:\n    pre.append(pre[-1] + x)\nreturn [pre[r] - pre[l - 1] for l, r in queries]"
        ),
        alternatives=["return [sum(nums[l - 1:r]) for l, r in queries]"],
        buggy=[
            "pre = [0]\nfor x in nums:\n    pre.append(pre[-1] + x)\nreturn [pre[r] - pre[l] for l, r in queries]",
            "return [sum(nums[l:r + 1]) for l, r in queries]",
        ],
    ),
    Family(
        name="balance_index",
        features={"algorithms": {"prefix sums": ["left and right sums"]}},
        args=[A],
        returns="int",
        fn="balanceIndex",
        phrasings=[
            (
                "Balance Point",
                "You are given {n} integers {a}. Find the smallest index i (1-indexed) such that the sum of the "
                "elements before i equals the sum of the elements after i, or -1 if there is none.",
            ),
            (
                "Pivot",
                "Find the first 1-based position i in {a} where the left sum (elements before i) equals the right sum "
                "(elements after i); answer -1 if no such position exists.",
            ),
            (
                "Equal Halves",
                "Choose an index i of {a}; it is balanced if everything to its left sums to the same value as "
                "everything to its right. Find the leftmost balanced index (1-based) or -1.",
            ),
            (
                "Marker Plant",
                "Plants along a fence yield {a}. Choose one plant as the marker so that the plants before it yield "
                "as much together as the plants after it (the marker belongs to neither side). Output the smallest "
                "1-based index of such a marker, or -1.",
            ),
            (
                "Prefix Meets Suffix",
                "Find the minimum i (1-based) for which {a}_1 + ... + {a}_(i-1) = {a}_(i+1) + ... + {a}_{n}, where "
                "an empty sum is 0. If no i works, output -1.",
            ),
            (
                "Seesaw",
                "Weights {a} sit in a row. The seesaw can rest on one weight if the weights on its left and on its "
                "right are equal in total. Find the first such weight's position (counting from 1), or -1.",
            ),
            (
                "Tug of War",
                "A line of {n} people has strengths {a}. One of them is picked as referee and joins neither "
                "team; everyone to the referee's left forms one team and everyone to the right forms the other (an "
                "empty team has strength 0). Output the 1-based position of the first referee choice that makes the "
                "two teams equally strong in total, or -1 if no choice does.",
            ),
            (
                "Zero Difference",
                "For a 1-based index i, let L(i) total the entries of {a} strictly left of i and R(i) total those "
                "strictly right of i, an empty total being 0. Print the least i with L(i) = R(i), or -1 when no "
                "index qualifies.",
            ),
        ],
        answer="the index, or -1",
        constraints=["1 <= {n} <= {p[NMAX]}", VALUES],
        params=lambda rng: {**_arr(rng), "LO": 0, "HI": rng.choice([3, 5, 9])},
        gen=lambda p, s: {"nums": _nums(p, s)},
        body=(
            "total = sum(nums)\n"
            "left = 0\n"
            "for i, x in enumerate(nums):\n"
            "    if left == total - left - x:\n"
            "        return i + 1\n"
            "    left += x\n"
            "return -1"
        ),
        alternatives=[
            "for i in range(len(nums)):\n    if sum(nums[:i]) == sum(nums[i + 1:]):\n        return i + 1\nreturn -1"
        ],
        buggy=[
            "total = sum(nums)\n"
            "left = 0\n"
            "for i, x in enumerate(nums):\n"
            "    left += x\n"
            "    if left == total - left:\n"
            "        return i + 1\n"
            "return -1"
        ],
    ),
    Family(
        name="subarrays_sum_k",
        features={"algorithms": {"prefix sums": ["hash map of prefix sums"]}, "data structures": ["hash map"]},
        args=[A, K],
        returns="int",
        fn="subarraySum",
        phrasings=[
            (
                "Subarrays With Sum K",
                "You are given {n} integers {a} and an integer {k}. Count the non-empty contiguous subarrays whose "
                "sum equals {k}.",
            ),
            ("Target Segments", "How many pairs (l, r) with l <= r satisfy {a}_l + ... + {a}_r = {k}?"),
            ("Exact Total", "Count the contiguous pieces of {a} that add up to exactly {k}."),
            (
                "Counting Chains",
                "A chain is a non-empty run of neighbouring elements of {a}. How many chains have a sum of {k}?",
            ),
            (
                "Net Climb",
                "A hiker's height changes by {a_i} on step i. For how many choices of a start step and an end step, "
                "start <= end, is the net climb from the start step through the end step exactly {k}?",
            ),
            (
                "Budget Trips",
                "Each day i costs {a_i}. Count the ranges of consecutive days whose total cost is exactly {k}.",
            ),
            (
                "Bank Statement",
                "A bank balance changed by {a_i} on day i, for {n} days, withdrawals being negative. Count the "
                "periods of one or more consecutive days over which the balance changed by exactly {k} overall.",
            ),
            (
                "Interval Count",
                "Determine the number of index pairs (l, r) with 1 <= l <= r <= {n} such that the elements of {a} "
                "from index l to index r inclusive sum to {k}.",
            ),
        ],
        answer="the number of subarrays with sum {k}",
        constraints=["1 <= {n} <= {p[NMAX]}", VALUES, "-{p[KMAX]} <= {k} <= {p[KMAX]}"],
        params=lambda rng: {**_arr(rng), "LO": -3, "HI": 3, "KMAX": 5},
        gen=lambda p, s: {"nums": _nums(p, s), "k": random.randint(-p["KMAX"], p["KMAX"])},
        body=(
            "seen = {0: 1}\n"
            "pre = count = 0\n"
            "for x in nums:\n"
            "    pre += x\n"
            "    count += seen.get(pre - k, 0)\n"
            "    seen[pre] = seen.get(pre, 0) + 1\n"
            "return count"
        ),
        alternatives=[
            "count = 0\n"
            "for i in range(len(nums)):\n"
            "    total = 0\n"
            "    for j in range(i, len(nums)):\n"
            "        total += nums[j]\n"
            "        if total == k:\n"
            "            count += 1\n"
            "return count"
        ],
        buggy=[
            "seen = {0: 1}\n"
            "pre = count = 0\n"
            "for x in nums:\n"
            "    pre += x\n"
            "    seen[pre] = seen.get(pre, 0) + 1\n"
            "    count += seen.get(pre - k, 0)\n"
            "return count",
            "seen = set([0])\n"
            "pre = count = 0\n"
            "for x in nums:\n"
            "    pre += x\n"
            "    if pre - k in seen:\n"
            "        count += 1\n"
            "    seen.add(pre)\n"
            "return count",
        ],
    ),
]

TWO_POINTERS = [
    Family(
        name="window_max_sum",
        features={"algorithms": {"sliding window": ["fixed-size window sum"]}},
        args=[A, K],
        returns="int",
        fn="maxWindowSum",
        phrasings=[
            (
                "Best Window",
                "You are given {n} integers {a} and an integer {k}. Find the maximum sum of {k} consecutive elements.",
            ),
            (
                "Sliding Window",
                "A window of length {k} slides over the array {a}. Find the largest sum the window ever covers.",
            ),
            (
                "Strongest Stretch",
                "Among all contiguous segments of exactly {k} elements of {a}, find the largest total.",
            ),
            (
                "Tastiest Slice",
                "A cake is cut into {n} pieces in a row with tastiness {a}, possibly negative. You take {k} "
                "adjacent pieces. What is the best total tastiness?",
            ),
            (
                "Block of K",
                "Compute {a_i} + {a}_(i+1) + ... + {a}_(i+{k}-1) for every i where this block fits inside {a}, and "
                "output the maximum.",
            ),
            (
                "Busiest Week",
                "Visitors on day i were {a_i}. Find the largest number of visitors over any {k} consecutive days.",
            ),
            (
                "Warm Spell",
                "Daily temperatures for {n} days are {a}, possibly below zero. Over a run of {k} back-to-back days, "
                "what is the highest possible total of temperatures?",
            ),
            (
                "Fixed-Length Block",
                "For every starting index i with i + {k} - 1 <= {n}, form the total of the {k} entries of {a} "
                "beginning at index i; output the greatest such total.",
            ),
        ],
        answer="the maximum sum of {k} consecutive elements",
        constraints=["1 <= {k} <= {n} <= {p[NMAX]}", VALUES],
        params=_arr,
        gen=_nums_k,
        body=(
            "s = sum(nums[:k])\n"
            "best = s\n"
            "for i in range(k, len(nums)):\n"
            "    s += nums[i] - nums[i - k]\n"
            "    best = max(best, s)\n"
            "return best"
        ),
        alternatives=["return max(sum(nums[i:i + k]) for i in range(len(nums) - k + 1))"],
        buggy=[
            "s = sum(nums[:k])\n"
            "best = s\n"
            "for i in range(k, len(nums) - 1):\n"
            "    s += nums[i] - nums[i - k]\n"
            "    best = max(best, s)\n"
            "return best",
            "best = 0\nfor i in range(len(nums) - k + 1):\n    best = max(best, sum(nums[i:i + k]))\nreturn best",
        ],
    ),
    Family(
        name="longest_sum_at_most",
        features={"algorithms": {"two pointers": ["longest window under a budget"]}},
        args=[A, K],
        returns="int",
        fn="longestWithin",
        phrasings=[
            (
                "Within Budget",
                "You are given {n} non-negative integers {a} and an integer {k}. Find the length of the longest "
                "contiguous subarray whose sum is at most {k} (0 if there is none).",
            ),
            (
                "Long Cheap Segment",
                "Find the maximum length of a segment of {a} with sum not exceeding {k}; the answer is 0 when no "
                "single element fits.",
            ),
            (
                "Two Pointers",
                "Using consecutive elements of {a} only, how many can you take at most so that their total stays <= "
                "{k}?",
            ),
            (
                "Stone Collector",
                "Stones along a path weigh {a}. You pick up a run of adjacent stones whose combined weight is at "
                "most {k}. Output the maximum count of stones in such a run (0 if no stone fits).",
            ),
            (
                "Longest Affordable Run",
                "Find the largest j - i + 1 over index pairs i <= j with {a_i} + ... + {a}_j <= {k}; output 0 if "
                "there is no such pair.",
            ),
            (
                "Reading Marathon",
                "Chapter i takes {a_i} minutes. With {k} minutes you read consecutive chapters. What is the largest "
                "number of chapters you can finish?",
            ),
            (
                "Truck Loading",
                "Parcels on a conveyor weigh {a} (weights are never negative) and a truck carries at most {k} in "
                "total. You load an unbroken stretch of adjacent parcels; at most how many parcels fit? Answer 0 if "
                "not even one parcel can be loaded.",
            ),
            (
                "Bounded Block",
                "Let m be the greatest length of a contiguous block of {a} whose elements total no more than {k}, "
                "where m = 0 if no block qualifies. Output m.",
            ),
        ],
        answer="the maximum length",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}", "0 <= {k} <= {p[KMAX]}"],
        params=lambda rng: {**_arr(rng), "LO": 0, "HI": rng.choice([9, 20]), "KMAX": rng.choice([20, 50])},
        gen=lambda p, s: {"nums": _nums(p, s), "k": random.randint(0, p["KMAX"])},
        body=(
            "best = left = total = 0\n"
            "for right, x in enumerate(nums):\n"
            "    total += x\n"
            "    while total > k:\n"
            "        total -= nums[left]\n"
            "        left += 1\n"
            "    best = max(best, right - left + 1)\n"
            "return best"
        ),
        alternatives=[
            "best = 0\n"
            "for i in range(len(nums)):\n"
            "    total = 0\n"
            "    for j in range(i, len(nums)):\n"
            "        total += nums[j]\n"
            "        if total <= k:\n"
            "            best = max(best, j - i + 1)\n"
            "return best"
        ],
        buggy=[
            "best = left = total = 0\n"
            "for right, x in enumerate(nums):\n"
            "    total += x\n"
            "    while total > k and left < right:\n"
            "        total -= nums[left]\n"
            "        left += 1\n"
            "    best = max(best, right - left + 1)\n"
            "return best",
            "best = left = total = 0\n"
            "for right, x in enumerate(nums):\n"
            "    total += x\n"
            "    while total >= k and left <= right:\n"
            "        total -= nums[left]\n"
            "        left += 1\n"
            "    best = max(best, right - left + 1)\n"
            "return best",
        ],
    ),
    Family(
        name="pair_sum_count",
        features={"algorithms": {"hashing": ["complement counting"]}, "data structures": ["hash map"]},
        args=[A, K],
        returns="int",
        fn="countPairs",
        phrasings=[
            (
                "Pairs With Sum",
                "You are given {n} integers {a} and an integer {k}. Count the pairs of indices i < j with {a_i} + "
                "{a}_j = {k}.",
            ),
            ("Two Sum Count", "How many index pairs (i, j), i < j, have values adding up to {k}?"),
            ("Matching Pairs", "Count the unordered pairs of different positions of {a} whose elements sum to {k}."),
            (
                "Complement Count",
                "For every position j, count the positions before it whose value equals {k} - {a}_j; output the sum "
                "of these counts.",
            ),
            (
                "Gift Budget",
                "Gifts in a list cost {a}. You buy two gifts at distinct places of the list and must spend "
                "precisely {k} on them. In how many ways can the pair be chosen?",
            ),
            (
                "Dance Partners",
                "Dancers have skill levels {a}. A couple works if their levels add up to exactly {k}. How many "
                "different couples work?",
            ),
            (
                "Test Tubes",
                "A lab has {n} test tubes holding volumes {a}. Pouring two different tubes together must give "
                "exactly {k} millilitres. How many unordered choices of two tubes achieve this?",
            ),
            (
                "Index Pair Tally",
                "Compute the size of the set of index pairs (i, j) with 1 <= i < j <= {n} and {a_i} + {a}_j = {k}.",
            ),
        ],
        answer="the number of pairs",
        constraints=["2 <= {n} <= {p[NMAX]}", VALUES, "{p[KLO]} <= {k} <= {p[KHI]}"],
        params=lambda rng: {**_arr(rng), "LO": 0, "HI": 9, "KLO": 0, "KHI": 18},
        gen=lambda p, s: {"nums": _nums(p, s, 2), "k": random.randint(p["KLO"], p["KHI"])},
        body=(
            "seen = {}\n"
            "count = 0\n"
            "for x in nums:\n"
            "    count += seen.get(k - x, 0)\n"
            "    seen[x] = seen.get(x, 0) + 1\n"
            "return count"
        ),
        alternatives=[
            "return sum(1 for i in range(len(nums)) for j in range(i + 1, len(nums)) if nums[i] + nums[j] == k)"
        ],
        buggy=[
            "seen = set()\n"
            "count = 0\n"
            "for x in nums:\n"
            "    if k - x in seen:\n"
            "        count += 1\n"
            "    seen.add(x)\n"
            "return count",
            "return sum(1 for i in range(len(nums)) for j in range(len(nums)) if i != j and nums[i] + nums[j] == k)",
        ],
    ),
    Family(
        name="longest_unique_substring",
        features={"algorithms": {"sliding window": ["last occurrence"]}, "strings": ["substrings"]},
        args=[Arg("s", "str")],
        returns="int",
        fn="longestUnique",
        phrasings=[
            (
                "No Repeats",
                "You are given a string {s}. Find the length of the longest substring without repeating characters.",
            ),
            (
                "Distinct Window",
                "Find the maximum length of a contiguous part of {s} in which all characters are different.",
            ),
            (
                "Fresh Letters",
                "What is the longest run of consecutive characters of {s} where no letter appears twice?",
            ),
            (
                "Flower Bunch",
                "Each letter of {s} names the colour of one flower in a row. Cut out a contiguous bunch in which no "
                "colour occurs more than once. How many flowers can the bunch hold at most?",
            ),
            (
                "Duplicate-Free Substring",
                "Output the greatest length of a substring of {s} that contains each character at most once.",
            ),
            (
                "Unique Playlist",
                "Song genres are given by the letters of {s}. Find the most consecutive songs you can play without "
                "hearing a genre twice.",
            ),
            (
                "Password Extraction",
                "A security tool extracts a password from the text {s}: it must be made of adjacent characters taken "
                "from the text, none of them used twice. What is the greatest length such a password can have?",
            ),
            (
                "Valid Segments",
                "For positions i <= j of {s}, call the segment from i to j valid if no character occurs twice in it. "
                "Output the largest value of j - i + 1 over valid segments.",
            ),
        ],
        answer="the maximum length",
        constraints=["1 <= {len_s} <= {p[NMAX]}", "{s} consists of lowercase English letters"],
        params=lambda rng: {"NMAX": rng.choice([8, 12, 20, 40]), "SIGMA": rng.choice([3, 5, 8])},
        gen=lambda p, s: {"s": _letters(p, s)},
        body=(
            "last = {}\n"
            "best = left = 0\n"
            "for i, c in enumerate(s):\n"
            "    if c in last and last[c] >= left:\n"
            "        left = last[c] + 1\n"
            "    last[c] = i\n"
            "    best = max(best, i - left + 1)\n"
            "return best"
        ),
        alternatives=[
            "best = 0\n"
            "for i in range(len(s)):\n"
            "    j = i\n"
            "    while j < len(s) and s[j] not in s[i:j]:\n"
            "        j += 1\n"
            "    best = max(best, j - i)\n"
            "return best"
        ],
        buggy=[
            "last = {}\n"
            "best = left = 0\n"
            "for i, c in enumerate(s):\n"
            "    if c in last:\n"
            "        left = last[c] + 1\n"
            "    last[c] = i\n"
            "    best = max(best, i - left + 1)\n"
            "return best"
        ],
    ),
]

GREEDY = [
    Family(
        name="max_disjoint_intervals",
        features={"algorithms": {"greedy": ["interval scheduling by end time"]}, "sorting": ["custom key"]},
        args=[Arg("intervals", "pairs", "seg", "n", ("l", "r"))],
        returns="int",
        fn="maxMeetings",
        phrasings=[
            (
                "Interval Scheduling",
                "You are given {n} closed intervals [{l_i}, {r_i}]. Choose as many intervals as possible so that no "
                "two chosen intervals share a point. Find the maximum number.",
            ),
            (
                "Meeting Room",
                "There are {n} meetings; meeting i occupies the room from {l_i} to {r_i} inclusive. What is the "
                "largest number of meetings that can be held without any overlap, touching ends included?",
            ),
            (
                "Disjoint Segments",
                "Select the maximum number of pairwise disjoint segments from the {n} given segments (segments that "
                "share an endpoint intersect).",
            ),
            (
                "Court Bookings",
                "A tennis court receives {n} booking requests; request i covers the minutes {l_i}, {l_i} + 1, ..., "
                "{r_i}. Accept as many requests as possible so that no minute is booked twice. How many can be "
                "accepted?",
            ),
            (
                "Strictly Separated",
                "Pick as many of the {n} ranges [{l_i}, {r_i}] (ends included) as possible such that, for any two "
                "picked ones, one ends strictly before the other starts. Output how many are picked.",
            ),
            (
                "Festival Planner",
                "A visitor wants to attend shows; show i runs from {l_i} to {r_i} (both inclusive) and shows may not "
                "overlap at all. How many shows can the visitor attend at most?",
            ),
            (
                "Shared Microscope",
                "A lab owns one microscope, and {n} researchers each request it for the whole of days {l_i} to "
                "{r_i}, endpoints included. On any day it can serve only one researcher. How many requests, at most, "
                "can all be approved together?",
            ),
            (
                "Integer Sets",
                "For each i, let S_i be the set of integers x with {l_i} <= x <= {r_i}. Output the size of the "
                "biggest collection of indices such that any two selected sets S_i have no common element.",
            ),
        ],
        answer="the maximum number of intervals",
        constraints=["1 <= {n} <= {p[NMAX]}", "1 <= {l_i} <= {r_i} <= {p[HI]}"],
        params=lambda rng: {"NMAX": rng.choice([5, 8, 12, 20]), "HI": rng.choice([10, 20, 50])},
        gen=lambda p, s: {"intervals": intervals(size(p, s), p["HI"])},
        body=(
            "count = 0\n"
            "end = -1\n"
            "for l, r in sorted(intervals, key=lambda x: x[1]):\n"
            "    if l > end:\n"
            "        count += 1\n"
            "        end = r\n"
            "return count"
        ),
        buggy=[
            "count = 0\n"
            "end = -1\n"
            "for l, r in sorted(intervals):\n"
            "    if l > end:\n"
            "        count += 1\n"
            "        end = r\n"
            "return count",
            "count = 0\n"
            "end = -1\n"
            "for l, r in sorted(intervals, key=lambda x: x[1]):\n"
            "    if l >= end:\n"
            "        count += 1\n"
            "        end = r\n"
            "return count",
        ],
    ),
    Family(
        name="min_increments",
        features={"algorithms": {"greedy": ["running maximum"]}},
        args=[A],
        returns="int",
        fn="minIncrements",
        phrasings=[
            (
                "Make It Sorted",
                "You are given {n} integers {a}. In one operation you may increase any element by 1. Find the minimum "
                "number of operations to make the array non-decreasing.",
            ),
            (
                "Raise the Steps",
                "Increase some elements of {a} (each +1 costs one operation) so that every element is at least the "
                "previous one. What is the minimum cost?",
            ),
            (
                "Non-Decreasing",
                "Find the least total amount that must be added to elements of {a} so that {a}_1 <= {a}_2 <= ... <= "
                "{a}_{n}.",
            ),
            (
                "Pumping Tyres",
                "Tyres in a row have pressures {a}. One pump stroke raises one tyre's pressure by 1, and pressure "
                "can never be lowered. What is the smallest number of strokes after which, going left to right, the "
                "pressures never drop?",
            ),
            (
                "Running Maximum",
                "Let c_i be the maximum of {a}_1, ..., {a_i}. Output the sum over all i of c_i - {a_i}.",
            ),
            (
                "Growing Towers",
                "Towers have heights {a}. You can only add blocks. How many blocks are needed at least so that no "
                "tower is lower than the one before it?",
            ),
            (
                "Level Design",
                "A game has {n} levels with difficulty ratings {a}, in order. A designer may only raise ratings, one "
                "point per edit, until no level is easier than the level before it. How few edits suffice?",
            ),
            (
                "Dominating Sequence",
                "Among all non-decreasing integer sequences b of length {n} with b_i >= {a_i} for every i, minimise "
                "the sum of b_i - {a_i} and output that minimum.",
            ),
        ],
        answer="the minimum number of operations",
        constraints=["1 <= {n} <= {p[NMAX]}", VALUES],
        params=_arr,
        gen=lambda p, s: {"nums": _nums(p, s)},
        body="ops = 0\ncur = nums[0]\nfor x in nums[1:]:\n    cur = max(cur, x)\n    ops += cur - x\nreturn ops",
        buggy=[
            "ops = 0\n"
            "for i in range(1, len(nums)):\n"
            "    if nums[i] < nums[i - 1]:\n"
            "        ops += nums[i - 1] - nums[i]\n"
            "return ops",
            "return max(nums) * len(nums) - sum(nums)",
        ],
    ),
    Family(
        name="best_profit",
        features={"algorithms": {"greedy": ["minimum so far"], "dynamic programming": ["single transaction"]}},
        args=[A],
        returns="int",
        fn="maxProfit",
        phrasings=[
            (
                "Stock Trading",
                "You are given the prices {a} of a stock on {n} consecutive days. Buy once and sell once on a later "
                "or the same day to maximise profit. Find the maximum profit.",
            ),
            ("Buy Low, Sell High", "Find the largest value of {a}_j - {a_i} over all i <= j."),
            (
                "One Trade",
                "With prices {a} day by day, you may make one purchase followed by one sale. What is the best "
                "possible gain (0 if prices only fall)?",
            ),
            (
                "Altitude Gain",
                "A hiker passes points with altitudes {a}, in order. What is the biggest rise from one point to a "
                "point reached after it (0 if the path never rises)?",
            ),
            (
                "Best Later Value",
                "For each position j of {a}, take {a}_j minus the smallest value among positions 1..j. Output the "
                "largest of these numbers.",
            ),
            (
                "Fruit Market",
                "The price of mangoes on day i is {a_i}. A trader buys a crate one day and sells it on that day or "
                "later. What is the most the trader can earn?",
            ),
            (
                "Trading Card",
                "A collector tracks the value of a rare card over {n} days: {a}. She may buy it on one day and sell "
                "it on the same or any following day, or not trade and gain zero. What is the highest gain she can "
                "lock in?",
            ),
            (
                "Forward Difference",
                "Compute the maximum, over index pairs i and j with i not exceeding j, of the difference {a}_j minus "
                "{a_i}.",
            ),
        ],
        answer="the maximum profit",
        constraints=["1 <= {n} <= {p[NMAX]}", "0 <= {a_i} <= {p[HI]}"],
        params=lambda rng: {**_arr(rng), "LO": 0},
        gen=lambda p, s: {"nums": _nums(p, s)},
        body=(
            "best = 0\n"
            "low = nums[0]\n"
            "for x in nums:\n"
            "    low = min(low, x)\n"
            "    best = max(best, x - low)\n"
            "return best"
        ),
        alternatives=["return max(nums[j] - nums[i] for i in range(len(nums)) for j in range(i, len(nums)))"],
        buggy=[
            "return max(nums) - min(nums)",
            "best = 0\nfor i in range(1, len(nums)):\n    best = max(best, nums[i] - nums[i - 1])\nreturn best",
        ],
    ),
]

FAMILIES = SORTING + PREFIX_SUMS + TWO_POINTERS + GREEDY


def _range_queries(p: dict, scale: str) -> dict:
    nums = _nums(p, scale)
    q = random.randint(1, p["QMAX"])
    queries = []
    for _ in range(q):
        left = random.randint(1, len(nums))
        queries.append([left, random.randint(left, len(nums))])
    return {"nums": nums, "queries": queries}


def _letters(p: dict, scale: str) -> str:
    from data_gen.procedural.inputs import word

    return word(size(p, scale), "abcdefghijklmnopqrstuvwxyz"[: p["SIGMA"]])

"""Graph and grid families: BFS, flood fill, DSU, bipartiteness, tree diameter."""

from __future__ import annotations

import random

from data_gen.procedural.family import Arg, Family
from data_gen.procedural.inputs import graph_edges, grid, size, tree_edges

N = Arg("n", "int")
E = Arg("edges", "pairs", "e", "m", ("u", "v"))
G = Arg("grid", "grid", "g", "h w")

GRAPH_CONSTRAINTS = [
    "1 <= {n} <= {p[NMAX]}",
    "0 <= {m} <= {n}({n}-1)/2",
    "1 <= {u_i}, {v_i} <= {n}",
    "{u_i} != {v_i}, and no edge is given twice",
]
ADJ = "adj = [[] for _ in range(n + 1)]\nfor u, v in edges:\n    adj[u].append(v)\n    adj[v].append(u)\n"


def _graph(p: dict, scale: str) -> dict:
    n = size(p, scale)
    m = random.randint(0, min(n * (n - 1) // 2, int(n * p["DENSITY"])))
    return {"n": n, "edges": graph_edges(n, m)}


def _graph_params(rng: random.Random) -> dict:
    return {"NMAX": rng.choice([5, 8, 10, 15]), "DENSITY": rng.choice([0.7, 1.0, 1.5])}


def _maze(p: dict, scale: str) -> dict:
    h, w = size(p, scale), size(p, scale)
    g = [list(row) for row in grid(h, w, p["WALLS"])]
    g[0][0] = g[-1][-1] = "."
    return {"grid": ["".join(row) for row in g]}


FAMILIES = [
    Family(
        name="grid_shortest_path",
        features={"algorithms": {"graph traversal": ["breadth-first search on a grid"]}},
        args=[G],
        returns="int",
        fn="shortestPath",
        phrasings=[
            (
                "Maze Escape",
                "You are given a grid of {h} rows and {w} columns; '.' is a free cell and '#' a wall. Moving up, "
                "down, left or right between free cells, find the minimum number of moves from the top-left cell to "
                "the bottom-right cell, or -1 if it cannot be reached.",
            ),
            (
                "Shortest Route in a Grid",
                "Find the length of the shortest 4-directional path over '.' cells from the upper-left corner to the "
                "lower-right corner of the grid; the answer is -1 when there is none.",
            ),
            (
                "BFS",
                "In the {h} x {w} grid, walls are '#'. Compute the fewest steps needed to go from cell (1, 1) to cell "
                "({h}, {w}) through open cells, or -1 if impossible.",
            ),
            (
                "Mouse and Cheese",
                "A mouse in the first cell of the first row of an {h} x {w} board wants the cheese in the last cell "
                "of the last row. Each step takes it to a side-adjacent '.' cell; it cannot enter '#' cells. Output "
                "the fewest steps, or -1 if the cheese is unreachable.",
            ),
            (
                "Wave Distance",
                "A wave spreads from the first cell of the grid: each step it reaches the '.' cells above, below, "
                "left and right of the cells it covers, and it never passes '#'. After how many steps does it reach "
                "the last cell of the grid? Print -1 if never.",
            ),
            (
                "Robot Courier",
                "A robot stands in the north-west corner of a warehouse map ('#' marks shelves, '.' marks aisles) and "
                "must reach the south-east corner, moving one aisle cell at a time horizontally or vertically. How "
                "many moves does it need at least? If the corner is unreachable, the answer is -1.",
            ),
            (
                "Cellar Cat",
                "A cellar floor is drawn as {h} rows by {w} columns of tiles, where '#' tiles are blocked by crates "
                "and '.' tiles are passable. A cat on the tile in row 1, column 1 may hop only onto a passable tile "
                "sharing an edge with its own; report the smallest number of hops bringing it to the tile in row {h}, "
                "column {w}, or -1 if no sequence of hops gets there.",
            ),
            (
                "Minimum Grid Walk",
                "Call two '.' cells neighbours when they share a side ('#' cells are blocked). Output the least "
                "number of moves in a chain of neighbouring cells that starts at cell (1, 1) and ends at cell "
                "({h}, {w}) in an {h} x {w} grid, or -1 if no such chain exists.",
            ),
        ],
        answer="the minimum number of moves, or -1",
        constraints=[
            "1 <= {h}, {w} <= {p[NMAX]}",
            "each cell is '.' or '#'",
            "the top-left and bottom-right cells are '.'",
        ],
        params=lambda rng: {"NMAX": rng.choice([4, 5, 6, 8]), "WALLS": rng.choice([0.2, 0.3, 0.4])},
        gen=_maze,
        body=(
            "from collections import deque\n"
            "h, w = len(grid), len(grid[0])\n"
            "dist = [[-1] * w for _ in range(h)]\n"
            "dist[0][0] = 0\n"
            "q = deque([(0, 0)])\n"
            "while q:\n"
            "    r, c = q.popleft()\n"
            "    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):\n"
            "        nr, nc = r + dr, c + dc\n"
            "        if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] == '.' and dist[nr][nc] < 0:\n"
            "            dist[nr][nc] = dist[r][c] + 1\n"
            "            q.append((nr, nc))\n"
            "return dist[h - 1][w - 1]"
        ),
        buggy=[
            "h, w = len(grid), len(grid[0])\nreturn h + w - 2",
            "from collections import deque\n"
            "h, w = len(grid), len(grid[0])\n"
            "dist = [[-1] * w for _ in range(h)]\n"
            "dist[0][0] = 0\n"
            "q = deque([(0, 0)])\n"
            "while q:\n"
            "    r, c = q.popleft()\n"
            "    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)):\n"
            "        nr, nc = r + dr, c + dc\n"
            "        if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] == '.' and dist[nr][nc] < 0:\n"
            "            dist[nr][nc] = dist[r][c] + 1\n"
            "            q.append((nr, nc))\n"
            "return dist[h - 1][w - 1]",
        ],
    ),
    Family(
        name="count_islands",
        features={"algorithms": {"graph traversal": ["flood fill", "connected components on a grid"]}},
        args=[G],
        returns="int",
        fn="numIslands",
        phrasings=[
            (
                "Islands",
                "You are given a map of {h} rows and {w} columns where '#' is land and '.' is water. Land cells "
                "sharing a side belong to the same island. Count the islands.",
            ),
            ("Connected Regions", "Count the 4-connected components formed by the '#' cells of the grid."),
            (
                "Flood Fill",
                "Two '#' cells are connected if they are side-adjacent. How many maximal connected groups of '#' "
                "cells does the grid contain?",
            ),
            (
                "Ink Blots",
                "A sheet is an {h} x {w} grid; '#' cells are inked and '.' cells are clean. Inked cells that share "
                "an edge belong to the same blot. How many blots are on the sheet?",
            ),
            (
                "Walkable Groups",
                "Group the '#' cells of the grid so that two cells are in one group exactly when you can walk from "
                "one to the other through '#' cells, stepping up, down, left or right. Output the number of groups.",
            ),
            (
                "Oil Fields",
                "A survey map marks oil with '#' and rock with '.'. Oil cells touching horizontally or vertically "
                "form one field. How many separate fields are there?",
            ),
            (
                "Puddles After Rain",
                "A parking lot is drawn as an {h} x {w} grid in which every '#' cell is wet and every '.' cell is "
                "dry. Wet cells touching along an edge (not merely at a corner) merge into a single puddle; report "
                "how many puddles the lot has.",
            ),
            (
                "Component Count",
                "Consider the graph whose nodes are the grid's '#' cells, with an arc between each pair of '#' cells "
                "that are horizontal or vertical neighbours. What is the number of connected components of this "
                "graph?",
            ),
        ],
        answer="the number of islands",
        constraints=["1 <= {h}, {w} <= {p[NMAX]}", "each cell is '.' or '#'"],
        params=lambda rng: {"NMAX": rng.choice([4, 5, 6, 8]), "WALLS": rng.choice([0.3, 0.4, 0.5])},
        gen=lambda p, s: {"grid": grid(size(p, s), size(p, s), p["WALLS"])},
        body=(
            "h, w = len(grid), len(grid[0])\n"
            "seen = [[False] * w for _ in range(h)]\n"
            "count = 0\n"
            "for i in range(h):\n"
            "    for j in range(w):\n"
            "        if grid[i][j] == '#' and not seen[i][j]:\n"
            "            count += 1\n"
            "            stack = [(i, j)]\n"
            "            seen[i][j] = True\n"
            "            while stack:\n"
            "                r, c = stack.pop()\n"
            "                for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):\n"
            "                    if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] == '#' and not seen[nr][nc]:\n"
            "                        seen[nr][nc] = True\n"
            "                        stack.append((nr, nc))\n"
            "return count"
        ),
        buggy=[
            "h, w = len(grid), len(grid[0])\n"
            "count = 0\n"
            "for i in range(h):\n"
            "    for j in range(w):\n"
            "        if grid[i][j] == '#' and (i == 0 or grid[i - 1][j] != '#') and (j == 0 or grid[i][j - 1] != "
            "'#'):\n"
            "            count += 1\n"
            "return count"
        ],
    ),
    Family(
        name="graph_components",
        features={
            "data structures": {"disjoint set union": ["union by size", "path compression"]},
            "algorithms": ["connected components"],
        },
        args=[N, E],
        returns="int",
        fn="countComponents",
        phrasings=[
            (
                "Connected Components",
                "You are given an undirected graph with {n} vertices and {m} edges; edge i joins {u_i} and {v_i}. "
                "Find the number of connected components.",
            ),
            (
                "Union-Find",
                "Start with {n} singleton sets; for each pair ({u_i}, {v_i}) merge the sets containing {u_i} and "
                "{v_i}. How many sets remain?",
            ),
            (
                "Groups of Friends",
                "There are {n} people and {m} friendships. Friends of friends are in the same group. Count the "
                "groups.",
            ),
            (
                "Power Circuits",
                "A country has {n} houses and {m} wires; wire i links houses {u_i} and {v_i}. Houses joined "
                "directly or through other houses share one circuit. How many separate circuits are there?",
            ),
            (
                "Maximal Linked Sets",
                "Vertices 1..{n} are linked by the {m} undirected edges ({u_i}, {v_i}). Output the number of "
                "maximal vertex sets in which every two vertices are joined by some path.",
            ),
            (
                "Island Ferries",
                "An archipelago has {n} islands and {m} two-way ferry lines between islands {u_i} and {v_i}. Islands "
                "reachable from each other form a region. How many regions are there?",
            ),
            (
                "Earthquake Districts",
                "An earthquake left a kingdom of {n} villages with only {m} intact two-way roads; road i joins "
                "villages {u_i} and {v_i}. Villages that can still travel to one another by road make up a district. "
                "How many districts does the kingdom now have?",
            ),
            (
                "Equivalence Classes",
                "Let R be the smallest equivalence relation on the vertices 1..{n} that relates {u_i} to {v_i} for "
                "every one of the {m} given pairs. How many equivalence classes does R have?",
            ),
        ],
        answer="the number of connected components",
        constraints=GRAPH_CONSTRAINTS,
        params=_graph_params,
        gen=_graph,
        body=(
            "parent = list(range(n + 1))\n"
            "def find(x):\n"
            "    while parent[x] != x:\n"
            "        parent[x] = parent[parent[x]]\n"
            "        x = parent[x]\n"
            "    return x\n"
            "count = n\n"
            "for u, v in edges:\n"
            "    ru, rv = find(u), find(v)\n"
            "    if ru != rv:\n"
            "        parent[ru] = rv\n"
            "        count -= 1\n"
            "return count"
        ),
        alternatives=[
            ADJ
            + (
                "seen = [False] * (n + 1)\n"
                "count = 0\n"
                "for s in range(1, n + 1):\n"
                "    if not seen[s]:\n"
                "        count += 1\n"
                "        seen[s] = True\n"
                "        stack = [s]\n"
                "        while stack:\n"
                "            x = stack.pop()\n"
                "            for y in adj[x]:\n"
                "                if not seen[y]:\n"
                "                    seen[y] = True\n"
                "                    stack.append(y)\n"
                "return count"
            )
        ],
        buggy=[
            "return n - len(edges)",
            "parent = list(range(n + 1))\n"
            "count = n\n"
            "for u, v in edges:\n"
            "    if parent[u] != parent[v]:\n"
            "        parent[u] = parent[v]\n"
            "        count -= 1\n"
            "return count",
        ],
    ),
    Family(
        name="graph_shortest_path",
        features={"algorithms": {"graph traversal": ["breadth-first search", "unweighted shortest path"]}},
        args=[N, E],
        returns="int",
        fn="shortestDistance",
        phrasings=[
            (
                "Shortest Path",
                "You are given an undirected graph with {n} vertices and {m} edges. Find the minimum number of edges "
                "on a path from vertex 1 to vertex {n}, or -1 if there is no path.",
            ),
            (
                "Fewest Hops",
                "In an undirected graph on vertices 1..{n}, compute the distance (in edges) from 1 to {n}; the answer "
                "is -1 when {n} is unreachable.",
            ),
            (
                "Breadth-First Search",
                "Run a BFS from vertex 1 of the given graph and report the distance to vertex {n}, or -1.",
            ),
            (
                "Message Relay",
                "{n} computers are linked by {m} bidirectional cables ({u_i}, {v_i}). A message passes along one "
                "cable per hop. What is the smallest number of hops to send it from computer 1 to computer {n}? "
                "Output -1 if it cannot arrive.",
            ),
            (
                "Layer of the Target",
                "Put vertex 1 in layer 0; every neighbour of a vertex in layer d that has no layer yet goes to "
                "layer d + 1. Which layer does vertex {n} end up in? Answer -1 if it never gets one.",
            ),
            (
                "Subway Transfers",
                "A subway has {n} stations and {m} two-way tracks between stations {u_i} and {v_i}. How many tracks "
                "must one ride at least to get from station 1 to station {n}? If it is impossible, the answer is -1.",
            ),
            (
                "Rumour Spreading",
                "A village has {n} residents and {m} mutual acquaintances, the i-th between residents {u_i} and "
                "{v_i}. Resident 1 learns a rumour on day 0, and each day everyone who knows it tells all their "
                "acquaintances. On which day does resident {n} first hear it? Print -1 if that never happens.",
            ),
            (
                "Edge Distance",
                "Given the undirected graph with vertex set 1..{n} and the {m} edges ({u_i}, {v_i}), output the least "
                "number of edges in a walk joining vertex 1 and vertex {n}, or -1 when no walk joins them.",
            ),
        ],
        answer="the distance, or -1",
        constraints=GRAPH_CONSTRAINTS,
        params=_graph_params,
        gen=_graph,
        body="from collections import deque\n"
        + ADJ
        + (
            "dist = [-1] * (n + 1)\n"
            "dist[1] = 0\n"
            "q = deque([1])\n"
            "while q:\n"
            "    x = q.popleft()\n"
            "    for y in adj[x]:\n"
            "        if dist[y] < 0:\n"
            "            dist[y] = dist[x] + 1\n"
            "            q.append(y)\n"
            "return dist[n]"
        ),
        buggy=[
            "from collections import deque\n"
            "adj = [[] for _ in range(n + 1)]\n"
            "for u, v in edges:\n"
            "    adj[u].append(v)\n"
            "dist = [-1] * (n + 1)\n"
            "dist[1] = 0\n"
            "q = deque([1])\n"
            "while q:\n"
            "    x = q.popleft()\n"
            "    for y in adj[x]:\n"
            "        if dist[y] < 0:\n"
            "            dist[y] = dist[x] + 1\n"
            "            q.append(y)\n"
            "return dist[n]"
        ],
    ),
    Family(
        name="is_bipartite",
        features={"algorithms": {"graph traversal": ["two-colouring", "bipartite check"]}},
        args=[N, E],
        returns="bool",
        fn="isBipartite",
        phrasings=[
            (
                "Two Colours",
                "You are given an undirected graph with {n} vertices and {m} edges. Decide whether its vertices can "
                "be coloured with two colours so that every edge joins vertices of different colours.",
            ),
            ("Bipartite Graph", "Check whether the given graph on {n} vertices is bipartite."),
            (
                "Split in Two",
                "Can the vertices 1..{n} be divided into two groups such that each of the {m} edges goes between the "
                "groups?",
            ),
            (
                "Odd Cycles",
                "Determine whether the undirected graph with {n} vertices and the {m} edges ({u_i}, {v_i}) contains "
                "no cycle of odd length.",
            ),
            (
                "Black and White Labels",
                "Label every vertex 1..{n} black or white so that none of the {m} edges joins two vertices with the "
                "same label. Decide whether such a labelling exists.",
            ),
            (
                "Rival Teams",
                "{n} players must be split into two teams. For each of {m} pairs ({u_i}, {v_i}) of rivals, the two "
                "rivals must end up on different teams. Is that possible?",
            ),
            (
                "Wedding Seating",
                "A wedding has {n} guests to seat at two tables, and {m} pairs of guests ({u_i}, {v_i}) are feuding, "
                "so the two guests of a pair may not sit at the same table. Decide whether every guest can be given a "
                "seat this way.",
            ),
            (
                "Parity Labelling",
                "Is there a function f that assigns 0 or 1 to each of the vertices 1..{n} so that, for each of the "
                "{m} undirected edges ({u_i}, {v_i}), f({u_i}) differs from f({v_i})?",
            ),
        ],
        answer="the graph is bipartite",
        constraints=GRAPH_CONSTRAINTS,
        params=_graph_params,
        gen=_graph,
        body=ADJ
        + (
            "color = [-1] * (n + 1)\n"
            "for s in range(1, n + 1):\n"
            "    if color[s] < 0:\n"
            "        color[s] = 0\n"
            "        stack = [s]\n"
            "        while stack:\n"
            "            x = stack.pop()\n"
            "            for y in adj[x]:\n"
            "                if color[y] < 0:\n"
            "                    color[y] = 1 - color[x]\n"
            "                    stack.append(y)\n"
            "                elif color[y] == color[x]:\n"
            "                    return False\n"
            "return True"
        ),
        buggy=[
            "return len(edges) < n",
            ADJ
            + (
                "color = [-1] * (n + 1)\n"
                "for s in range(1, n + 1):\n"
                "    if color[s] < 0:\n"
                "        color[s] = 0\n"
                "        stack = [s]\n"
                "        while stack:\n"
                "            x = stack.pop()\n"
                "            for y in adj[x]:\n"
                "                if color[y] < 0:\n"
                "                    color[y] = 1 - color[x]\n"
                "                    stack.append(y)\n"
                "                elif color[y] != color[x]:\n"
                "                    return False\n"
                "return True"
            ),
        ],
    ),
    Family(
        name="tree_diameter",
        features={"algorithms": {"graph traversal": ["two BFS passes"]}, "data structures": ["tree"]},
        args=[N, Arg("edges", "pairs", "e", "m", ("u", "v"))],
        returns="int",
        fn="treeDiameter",
        phrasings=[
            (
                "Tree Diameter",
                "You are given a tree with {n} vertices ({m} = {n} - 1 edges). Find the number of edges on the "
                "longest simple path.",
            ),
            ("Farthest Pair", "In the given tree, find the largest distance (in edges) between any two vertices."),
            ("Longest Path in a Tree", "Compute the diameter of the tree on vertices 1..{n} described by its edges."),
            (
                "Message Delay",
                "In a tree network of {n} nodes and {m} = {n} - 1 links, a message takes one second per link. What "
                "is the maximum time a message between two nodes can take along the unique path between them?",
            ),
            (
                "Largest Eccentricity",
                "For every vertex x of the tree, let far(x) be the largest number of edges between x and any "
                "vertex. Output the maximum of far(x) over all x.",
            ),
            (
                "Cable Network",
                "{n} towns are linked by {m} = {n} - 1 roads so that every town can reach every other. How many roads "
                "lie on the longest route that never repeats a town?",
            ),
            (
                "Hiking Trails",
                "A park has {n} clearings joined by {m} = {n} - 1 trails, and any clearing can be reached from any "
                "other. A hiker wants the longest hike that never visits a clearing twice; how many trails does that "
                "hike use?",
            ),
            (
                "Maximum Distance",
                "Let dist(x, y) denote the length, counted in edges, of the path joining vertices x and y of this "
                "{n}-vertex tree. What is the greatest dist(x, y) among all vertex pairs x, y?",
            ),
        ],
        answer="the diameter of the tree",
        constraints=["1 <= {n} <= {p[NMAX]}", "{m} = {n} - 1", "1 <= {u_i}, {v_i} <= {n}", "the edges form a tree"],
        params=lambda rng: {"NMAX": rng.choice([5, 8, 12, 20])},
        gen=lambda p, s: (lambda n: {"n": n, "edges": tree_edges(n)})(size(p, s)),
        body="from collections import deque\n"
        + ADJ
        + (
            "def bfs(s):\n"
            "    dist = [-1] * (n + 1)\n"
            "    dist[s] = 0\n"
            "    q = deque([s])\n"
            "    while q:\n"
            "        x = q.popleft()\n"
            "        for y in adj[x]:\n"
            "            if dist[y] < 0:\n"
            "                dist[y] = dist[x] + 1\n"
            "                q.append(y)\n"
            "    far = max(range(1, n + 1), key=lambda v: dist[v])\n"
            "    return far, dist[far]\n"
            "far, _ = bfs(1)\n"
            "return bfs(far)[1]"
        ),
        buggy=[
            "from collections import deque\n"
            + ADJ
            + (
                "dist = [-1] * (n + 1)\n"
                "dist[1] = 0\n"
                "q = deque([1])\n"
                "while q:\n"
                "    x = q.popleft()\n"
                "    for y in adj[x]:\n"
                "        if dist[y] < 0:\n"
                "            dist[y] = dist[x] + 1\n"
                "            q.append(y)\n"
                "return max(dist)"
            )
        ],
    ),
]

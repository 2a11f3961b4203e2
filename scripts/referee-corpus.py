#!/usr/bin/env python3
"""Generates the automatic referee's corpus: shots simulated by pooltool-billiards (a billiards
physics simulator nobody here wrote), each with its true events, sampled at 60 frames per second
in the camera's frame format.

    python3 -m pip install pooltool-billiards==0.3.3
    python3 scripts/referee-corpus.py --count 300 --out /tmp/corpus.ndjson
    gzip -9n < /tmp/corpus.ndjson > Tests/Fixtures/referee-corpus.ndjson.gz

The seed is fixed, so the same version of pooltool writes the same file: pooltool's racks draw
from Python's own `random` and pick balls from a set of strings, so both that generator and the
strings' hashing (PYTHONHASHSEED, set by re-running the script) are fixed too. The committed
corpus was written before they were, so its racks (breaks only) are not reproduced exactly; every
other shot is. One shot per line:

    {"id": "pot-0042", "kind": "pot", "fps": 60, "truth": {...},
     "frames": [[[n, x, y], ...], [[n, x, y], [m]], ...]}

Frames are deltas: the first frame lists every ball, each later frame only the balls whose position
changed ([n, x, y]) or that are gone ([n]). Positions are integers in 1/1,000 of the table's
width (1.27 mm): x from 0 to 2,000 along the length, y from 0 to 1,000 across (divide by 1,000 for the
frame's units). Ball 0 is the cue ball. The table is a 9-foot one (2.54 m × 1.27 m, balls of
57.15 mm). Pockets are numbered clockwise from the origin: 1 (0, 0), 2 (1, 0), 3 (2, 0), 4 (2, 1),
5 (1, 1), 6 (0, 1).

The truth is read from the simulator's events: the first ball-ball collision of the cue ball, every
ball-pocket collision, every cushion collision (linear or a pocket's jaw) after that first contact,
and the object balls that touched a cushion or were pocketed (for breaks).
"""
import argparse
import json
import math
import os
import random
import sys

import numpy as np
import pooltool as pt
from pooltool.objects.table.specs import PocketTableSpecs

FPS = 60
REST_BEFORE = 0.5  # seconds of still frames before the stroke
REST_AFTER = 0.6  # and after everything stops
SCALE = 1_000

TABLE = pt.Table.from_table_specs(PocketTableSpecs(l=2.54, w=1.27))
W, L = TABLE.w, TABLE.l
R = 0.028575
# Pooltool's pockets (x across, y along) in the frame's numbering.
POCKETS = {"lb": 1, "lc": 2, "lt": 3, "rt": 4, "rc": 5, "rb": 6}


def number(ball_id):
    return 0 if ball_id == "cue" else int(ball_id)


def frame_xy(x, y):
    """Pooltool's (x across, y along) in metres to the frame's quantized (along, across)."""
    return round(y / W * SCALE), round(x / W * SCALE)


def truth_of(system):
    first = None
    first_time = None
    pocketed, cue_pocketed, rail_after, to_rail = [], False, False, set()
    for event in system.events:
        kind = event.event_type.value
        ids = event.ids
        if kind == "ball_ball" and first is None and "cue" in ids:
            other = ids[0] if ids[1] == "cue" else ids[1]
            first, first_time = number(other), event.time
        elif kind in ("ball_linear_cushion", "ball_circular_cushion"):
            ball = ids[0]
            if first_time is not None and event.time >= first_time:
                rail_after = True
            if ball != "cue":
                to_rail.add(number(ball))
        elif kind == "ball_pocket":
            ball, pocket = ids[0], ids[1]
            if ball == "cue":
                cue_pocketed = True
            else:
                pocketed.append({"ball": number(ball), "pocket": POCKETS[pocket]})
                to_rail.add(number(ball))
    return {
        "firstContact": first,
        "pocketed": sorted(pocketed, key=lambda p: p["ball"]),
        "cueBallPocketed": cue_pocketed,
        "offTable": [],
        "railAfterContact": rail_after,
        "objectBallsToRail": len(to_rail),
    }


def frames_of(system):
    pt.continuize(system, dt=1 / FPS, inplace=True)
    tracks = {}
    end = 0.0
    for ball_id, ball in system.balls.items():
        states = ball.history_cts.states
        tracks[number(ball_id)] = states
        end = max(end, states[-1].t)
    count = int(math.ceil((end + REST_AFTER) * FPS))
    before = int(REST_BEFORE * FPS)
    frames = []
    previous = {}
    for index in range(-before, count):
        t = max(0.0, index / FPS)
        current = {}
        for n, states in tracks.items():
            # The state at or before t (continuize samples every 1/FPS from 0, plus event times).
            state = states[0]
            for s in states:
                if s.t <= t + 1e-9:
                    state = s
                else:
                    break
            if state.s == 4:  # pocketed
                continue
            x, y = state.rvw[0][0], state.rvw[0][1]
            current[n] = frame_xy(x, y)
        if not frames:
            frames.append([[n, *xy] for n, xy in sorted(current.items())])
        else:
            delta = [[n, *xy] for n, xy in sorted(current.items()) if previous.get(n) != xy]
            delta += [[n] for n in sorted(previous) if n not in current]
            frames.append(delta)
        previous = current
    return frames


def place(rng, count):
    """`count` balls at random places, none overlapping, none in a pocket's mouth."""
    spots = []
    while len(spots) < count:
        x = rng.uniform(2 * R, W - 2 * R)
        y = rng.uniform(2 * R, L - 2 * R)
        if all(math.hypot(x - a, y - b) > 2.2 * R for a, b in spots):
            spots.append((x, y))
    return spots


def layout(rng, count, cluster=False):
    ids = ["cue"] + [str(n) for n in rng.sample(range(1, 16), count)]
    if cluster:
        # A few balls near each other, so kisses and combinations happen.
        cx, cy = rng.uniform(0.3, W - 0.3), rng.uniform(0.5, L - 0.5)
        spots = [(rng.uniform(0.1, W - 0.1), rng.uniform(0.1, L - 0.1))]
        while len(spots) < count + 1:
            x, y = cx + rng.uniform(-0.15, 0.15), cy + rng.uniform(-0.15, 0.15)
            if 2 * R < x < W - 2 * R and 2 * R < y < L - 2 * R and all(math.hypot(x - a, y - b) > 2.05 * R for a, b in spots):
                spots.append((x, y))
    else:
        spots = place(rng, count + 1)
    return {i: pt.Ball.create(i, xy=xy) for i, xy in zip(ids, spots)}


def shot(rng, kind):
    if kind in ("break9", "break8"):
        game = pt.GameType.NINEBALL if kind == "break9" else pt.GameType.EIGHTBALL
        balls = pt.get_rack(game, TABLE)
        balls["cue"] = pt.Ball.create("cue", xy=(rng.uniform(0.2, W - 0.2), rng.uniform(0.15, L / 4 - 0.02)))
        system = pt.System(table=TABLE, balls=balls, cue=pt.Cue(cue_ball_id="cue"))
        head = "1" if "1" in balls else min(b for b in balls if b != "cue")
        phi = pt.aim.at_ball(system, head) + rng.uniform(-1.0, 1.0)
        system.cue.set_state(V0=rng.uniform(5, 9), phi=phi, theta=0, a=rng.uniform(-0.2, 0.2), b=rng.uniform(-0.3, 0.2))
        return system
    count = {"pot": rng.randint(2, 7), "soft": rng.randint(2, 6), "nocontact": rng.randint(1, 4), "cluster": rng.randint(3, 7)}[kind]
    balls = layout(rng, count, cluster=kind == "cluster")
    system = pt.System(table=TABLE, balls=balls, cue=pt.Cue(cue_ball_id="cue"))
    target = rng.choice([b for b in balls if b != "cue"])
    if kind == "nocontact":
        phi = rng.uniform(0, 360)
    else:
        phi = pt.aim.at_ball(system, target, cut=rng.uniform(-70, 70))
    speed = {"pot": (1.0, 5.0), "soft": (0.25, 0.9), "nocontact": (0.5, 4.0), "cluster": (1.5, 6.0)}[kind]
    system.cue.set_state(V0=rng.uniform(*speed), phi=phi, theta=0, a=rng.uniform(-0.3, 0.3), b=rng.uniform(-0.4, 0.4))
    return system


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--count", type=int, default=400, help="shots in all")
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        # pooltool's racks choose from a set of strings, whose order follows the strings' hashes.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    rng = random.Random(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    mix = [("break9", 0.1), ("break8", 0.1), ("pot", 0.4), ("cluster", 0.2), ("soft", 0.1), ("nocontact", 0.1)]
    with open(args.out, "w") as out:
        for index in range(args.count):
            kind = rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]
            for _ in range(20):
                system = shot(rng, kind)
                pt.simulate(system, inplace=True, max_events=20_000)
                truth = truth_of(system)
                # A "nocontact" shot that hit something is re-rolled, so the kind stays true.
                if kind != "nocontact" or truth["firstContact"] is None:
                    break
            record = {"id": f"{kind}-{index:04d}", "kind": kind, "fps": FPS, "truth": truth, "frames": frames_of(system)}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            print(f"{record['id']}: {truth}", file=sys.stderr)


if __name__ == "__main__":
    main()

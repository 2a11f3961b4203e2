#!/usr/bin/env python3
"""Failover of one actor between two running nodes (docs/benchmarks.md, "Commands across nodes"):
creates a live match through --owner (which then owns it), sends racks through --other with
command ids, retrying each until answered, kills the owner (-9, its pid from --owner-pid) after
--kill-after seconds, and prints the longest pause between two answers. Users pa and pb must exist
(the script inserts them when --database is given). Needs DOJO_AUTH_SERVICE_KEY."""
import argparse
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid


def post(port, path, body, key, idem=None, timeout=10):
    headers = {"Authorization": "Bearer " + key, "X-Dojo-User": "pa", "Content-Type": "application/json"}
    if idem:
        headers["Idempotency-Key"] = idem
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--owner", type=int, required=True)
    parser.add_argument("--owner-pid", type=int, required=True)
    parser.add_argument("--other", type=int, required=True)
    parser.add_argument("--kill-after", type=float, default=0.3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--database", help="a postgres:// URL: players pa and pb are inserted there")
    args = parser.parse_args()
    key = os.environ["DOJO_AUTH_SERVICE_KEY"]
    if args.database:
        subprocess.run(["psql", args.database, "-q", "-c",
                        "INSERT INTO users (id, email, username, password_hash, created_at, updated_at) VALUES "
                        "('pa','pa@x.test','pa','x',now(),now()),('pb','pb@x.test','pb','x',now(),now()) ON CONFLICT DO NOTHING"], check=True)
    match = "fo-" + uuid.uuid4().hex[:8]
    assert post(args.owner, "/v1/matches", {"id": match, "playerA": "pa", "playerB": "pb", "gameType": "9-ball", "raceTo": 99}, key) == 201
    assert post(args.owner, "/v1/matches/%s/start" % match, {}, key) == 200
    threading.Timer(args.kill_after, lambda: os.kill(args.owner_pid, signal.SIGKILL)).start()
    answered = []
    end = time.monotonic() + args.seconds
    index = 0
    while time.monotonic() < end:
        while time.monotonic() < end:
            body = {"winner": "A" if index % 2 == 0 else "B"}
            if post(args.other, "/v1/matches/%s/racks" % match, body, key, idem="%s-%d" % (match, index), timeout=3) == 200:
                answered.append(time.monotonic())
                break
            time.sleep(0.02)
        index += 1
    pauses = [b - a for a, b in zip(answered, answered[1:])]
    print("answered %d racks through %d; the longest pause between two answers: %.2f s" % (len(answered), args.other, max(pauses)))


if __name__ == "__main__":
    main()

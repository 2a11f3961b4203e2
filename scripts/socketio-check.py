#!/usr/bin/env python3
"""The Socket.IO server checked by a client nobody here wrote: python-socketio (PyPI).

For each transport -- the default (long-polling, then the upgrade to WebSocket), WebSocket only,
and long-polling only -- a client signs in with the CONNECT's auth token and subscribes to a
match; a native /v1/ws subscriber follows the same room; the match is played over REST; both
must receive the same events in the same order. Then: a command with an ack, a forbidden room, a
malformed packet, a binary attachment, recovery with `since` after a forced disconnect, and a
refused token. Exits 1 with what failed.

Usage: scripts/socketio-check.py --url http://127.0.0.1:PORT
"""
import argparse
import json
import sys
import threading
import time
import uuid

import requests
import socketio
import websocket

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return condition


def wait_for(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Player:
    """A registered user with an access token, for REST and the CONNECT's auth."""

    def __init__(self, url, name):
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
        r = requests.post(url + "/v1/auth/register", json={"email": email, "username": email.split("@")[0], "password": "correct horse battery"})
        r.raise_for_status()
        body = r.json()
        self.id = body["user"]["id"]
        self.token = body["accessToken"]
        self.url = url

    def rest(self, method, path, body=None):
        r = requests.request(method, self.url + path, json=body if body is not None else {}, headers={"Authorization": "Bearer " + self.token})
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json() if r.text else {}


class Native:
    """A /v1/ws subscriber of one room (the native protocol), collecting its events."""

    def __init__(self, url, token, room):
        self.events = []
        self.ws = websocket.create_connection(url.replace("http", "ws", 1) + "/v1/ws", timeout=10)
        assert json.loads(self.ws.recv())["type"] == "hello"
        self.ws.send(json.dumps({"type": "auth", "token": token, "id": "a"}))
        assert json.loads(self.ws.recv())["type"] == "ack"
        self.ws.send(json.dumps({"type": "subscribe", "room": room, "id": "s"}))
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        try:
            while True:
                message = json.loads(self.ws.recv())
                if message["type"] == "event":
                    self.events.append((message["seq"], message["eventType"]))
        except Exception:
            pass

    def close(self):
        self.ws.close()


def connect(url, token, transports):
    client = socketio.Client(reconnection=False)
    received = {"event": [], "snapshot": [], "error": [], "hello": []}
    for name in received:
        client.on(name, lambda data, name=name: received[name].append(data))
    options = {} if transports is None else {"transports": transports}
    client.connect(url, auth={"token": token}, wait_timeout=10, **options)
    return client, received


def play(url, mode, transports, expected_transport):
    alice, bob = Player(url, "alice"), Player(url, "bob")
    match = alice.rest("POST", "/v1/matches", {"playerA": alice.id, "playerB": bob.id, "gameType": "8-ball", "raceTo": 5})["match"]["id"]
    room = "match:" + match
    native = Native(url, alice.token, room)
    client, received = connect(url, alice.token, transports)
    check(wait_for(lambda: client.transport() == expected_transport), f"{mode}: transport {client.transport()}, expected {expected_transport}")
    check(wait_for(lambda: received["hello"]), f"{mode}: no hello event after CONNECT")
    check(received["hello"] and received["hello"][0].get("user") == alice.id, f"{mode}: hello names the signed-in user: {received['hello']}")

    ack = client.call("subscribe", {"room": room}, timeout=10)
    check(ack.get("type") == "ack" and ack.get("room") == room and ack.get("seq") == 1, f"{mode}: subscribe ack {ack}")
    check(wait_for(lambda: received["snapshot"]), f"{mode}: no snapshot")
    check(received["snapshot"] and received["snapshot"][0]["state"]["status"] == "SCHEDULED", f"{mode}: snapshot {received['snapshot'][:1]}")
    wait_for(lambda: len(native.events) >= 0, 0.2)

    # A match played over REST: both subscribers get every event, in the same order.
    alice.rest("POST", f"/v1/matches/{match}/start")
    for winner in ["A", "B", "A"]:
        alice.rest("POST", f"/v1/matches/{match}/racks", {"winner": winner})
    ack = client.call("command", {"room": room, "command": {"type": "commentary", "text": "what a cut"}}, timeout=10)
    check(ack.get("type") == "ack" and ack.get("sequence"), f"{mode}: command ack {ack}")
    ok = wait_for(lambda: len(native.events) >= 8 and len(received["event"]) == len(native.events), 10)
    # python-engineio's client runs each message's handler on a thread of its own, so messages that
    # arrive together (several in one poll) may reach the handlers in another order than the
    # server sent them: the order is the sequence numbers', which the server assigns.
    ours = sorted((e["seq"], e["eventType"]) for e in received["event"])
    check(ok and ours == native.events, f"{mode}: Socket.IO and native events differ:\n  sio    {ours}\n  native {native.events}")
    check([s for s, _ in ours] == list(range(2, 2 + len(ours))), f"{mode}: sequence numbers not contiguous from 2: {ours}")
    check(any(t == "match.commentary" for _, t in ours), f"{mode}: the command's event is missing: {ours}")

    # Refusals: the documented errors.
    refused = client.call("subscribe", {"room": "user:" + bob.id}, timeout=10)
    check(refused.get("type") == "error" and refused.get("code") == "forbidden", f"{mode}: another user's room: {refused}")
    unknown = client.call("subscribe", {"room": "nowhere:1"}, timeout=10)
    check(unknown.get("type") == "error" and unknown.get("code") == "room.invalid", f"{mode}: an unknown room: {unknown}")
    client.eio.send("2not json")
    check(wait_for(lambda: any(e.get("code") == "invalid_packet" for e in received["error"])), f"{mode}: a malformed packet: {received['error']}")
    client.emit("subscribe", b"\x00\x01")
    check(wait_for(lambda: any(e.get("code") == "binary_unsupported" for e in received["error"])), f"{mode}: a binary attachment: {received['error']}")

    # A forced disconnect, play goes on, a new client recovers what it missed with since.
    last = ours[-1][0] if ours else 0
    client.disconnect()
    alice.rest("POST", f"/v1/matches/{match}/racks", {"winner": "B"})
    again, missed = connect(url, alice.token, transports)
    ack = again.call("subscribe", {"room": room, "since": {"seq": last, "epoch": "log"}}, timeout=10)
    check(ack.get("type") == "ack" and ack.get("recovered") is True, f"{mode}: resume ack {ack}")
    check(wait_for(lambda: len(missed["event"]) >= 2), f"{mode}: missed events not recovered: {missed['event']}")
    recovered = [(e["seq"], e["eventType"]) for e in missed["event"]]
    check(recovered and recovered[0][0] == last + 1 and all(b[0] == a[0] + 1 for a, b in zip(recovered, recovered[1:])), f"{mode}: recovered out of order: {recovered}")
    check(not missed["snapshot"], f"{mode}: a recovered subscription got a snapshot")
    again.disconnect()
    native.close()
    print(f"ok: {mode}: {len(ours)} events, the same and numbered alike on both protocols, {len(recovered)} recovered", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    for mode, transports, expected in [
        ("polling then WebSocket", None, "websocket"),
        ("WebSocket only", ["websocket"], "websocket"),
        ("long-polling only", ["polling"], "polling"),
    ]:
        try:
            play(url, mode, transports, expected)
        except Exception as error:  # a crash of the check is a failure, with its reason
            check(False, f"{mode}: {type(error).__name__}: {error}")
    # A refused token: the CONNECT is refused with the native error.
    client = socketio.Client(reconnection=False)
    refusals = []
    client.on("connect_error", lambda data: refusals.append(data))
    try:
        client.connect(url, auth={"token": "not-a-token"}, transports=["websocket"], wait_timeout=5)
        check(False, "a bad token was accepted")
    except socketio.exceptions.ConnectionError:
        data = refusals[0] if refusals else {}
        check(isinstance(data, dict) and data.get("data", {}).get("code", "").startswith("auth."), f"a bad token's refusal says why: {refusals}")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("socketio-check: all passed")


if __name__ == "__main__":
    main()

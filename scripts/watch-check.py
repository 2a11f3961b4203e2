#!/usr/bin/env python3
"""Opens the spectator pages in a real browser (Debian's chromium driven by Playwright) against a
running server and checks that they work as a spectator sees them: the match page connects over
the public WebSocket protocol, shows the score, and updates live when the scorer records a rack
(sent here over REST with the service key); the index lists the match; no script or policy
error appears in the console. With --venue, the venue page: a match put on its table shows on the
table's card with its players, and its score moves when a rack is recorded. With --tournament, the tournament page too: the bracket goes live, a
match's result marks its slot done, and the final takes the two winners when its match is assigned
(matches played here over REST as the director). With --shots and --kill-pid, one match page: each
shot's ruling with its rule and the commentary within a second of the scorer's answer, then the
server killed with -9 and started again by the caller: the page reconnects by itself and resumes
from where it was. Run by WatchPageTests (the suite); exits non-zero
on failure."""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect, sync_playwright


def post(base, path, key, user, body):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": "Bearer " + key, "X-Dojo-User": user, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def play(args, match):
    """The director plays a race to 1: start, then the deciding rack for side A. The match is
    created by the tournament's reaction just after the slot shows it: a 404 is tried again."""
    for attempt in range(50):
        try:
            assert post(args.url, "/v1/matches/%s/start" % match, args.key, args.director, {}) == 200
            break
        except urllib.error.HTTPError as error:
            if error.code != 404 or attempt == 49:
                raise
            time.sleep(0.1)
    assert post(args.url, "/v1/matches/%s/racks" % match, args.key, args.director, {"winner": "A"}) == 200


def check_tournament(page, args):
    page.wait_for_selector("a[href='/watch/tournament/%s']" % args.tournament, timeout=10000)
    page.goto(args.url + "/watch/tournament/" + args.tournament)
    expect(page.locator("#connection")).to_have_text("live", timeout=15000)
    expect(page.locator("#slot-0")).to_have_class(re.compile(r"\blive\b"), timeout=10000)
    expect(page.locator("#slot-1")).to_have_class(re.compile(r"\blive\b"), timeout=10000)
    final = page.locator("#slot-2")
    expect(final).to_contain_text("winner of 0")
    play(args, args.tournament + "-m0")
    expect(page.locator("#slot-0")).to_have_class(re.compile(r"\bdone\b"), timeout=10000)
    play(args, args.tournament + "-m1")
    expect(page.locator("#slot-1")).to_have_class(re.compile(r"\bdone\b"), timeout=10000)
    # The final's match is assigned by the tournament's reaction: its slot shows both winners.
    expect(final).to_have_class(re.compile(r"\blive\b"), timeout=10000)
    expect(final).not_to_contain_text("winner of", timeout=10000)
    play(args, args.tournament + "-m2")
    expect(page.locator("#champion")).not_to_be_empty(timeout=10000)
    expect(page.locator("#status")).to_have_text("COMPLETED", timeout=10000)
    shoot(page, args, "tournament")


def shoot(page, args, name):
    """Screenshots of the page as it is, at a phone's size and a venue TV's (with --screenshots)."""
    if not args.screenshots:
        return
    size = page.viewport_size
    for label, width, height in (("phone", 390, 844), ("tv", 1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        time.sleep(0.3)
        page.screenshot(path=os.path.join(args.screenshots, "%s-%s.png" % (name, label)))
    page.set_viewport_size(size)


def check_venue(page, args):
    page.goto(args.url + "/watch/venue/" + args.venue)
    expect(page.locator("#connection")).to_have_text("live", timeout=15000)
    card = page.locator("#table-t1")
    expect(card).to_contain_text("free", timeout=10000)
    match = "wv-" + str(int(time.time() * 1000))
    body = {"id": match, "playerA": args.scorer, "playerB": "bob", "gameType": "9-ball", "raceTo": 3, "venueId": args.venue, "tableId": "t1"}
    assert post(args.url, "/v1/matches", args.key, args.scorer, body) == 201
    assert post(args.url, "/v1/matches/%s/start" % match, args.key, args.scorer, {}) == 200
    expect(card).to_have_class(re.compile(r"\boccupied\b"), timeout=10000)
    expect(card).to_contain_text(args.scorer + " 0 – 0 bob", timeout=10000)
    assert post(args.url, "/v1/matches/%s/racks" % match, args.key, args.scorer, {"winner": "A"}) == 200
    expect(card).to_contain_text(args.scorer + " 1 – 0 bob", timeout=10000)
    shoot(page, args, "venue")
    assert post(args.url, "/v1/matches/%s/end" % match, args.key, args.scorer, {"winner": "A"}) == 200
    expect(card).to_contain_text("free", timeout=10000)


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.loads(response.read())


def check_shots_and_restart(page, args, state):
    """Shots judged by the referee reach the match page within a second each: the referee's
    sentence with its rule, the score, and the commentary the rack brings. Then the server is
    killed (-9) and started again by the test on the same port: the page shows that it is
    reconnecting, comes back live by itself, resumes from where it was (no line twice), and
    follows the next rack."""
    match = args.shots
    url = args.url
    page.goto(url + "/watch/match/" + match)
    expect(page.locator("#connection")).to_have_text("live", timeout=15000)
    assert post(url, "/v1/matches/%s/start" % match, args.key, args.scorer, {}) == 200
    log = page.locator("#log")
    seen = 0
    # A legal break with nothing made, a scratch by B (a foul: ball in hand), then A makes the 9.
    shots = [
        {"shotId": "w1", "firstContact": 1, "objectBallsToRail": 4, "railAfterContact": True},
        {"shotId": "w2", "firstContact": 1, "cueBallPocketed": True, "railAfterContact": True},
        {"shotId": "w3", "firstContact": 1, "pocketed": [{"ball": 9, "pocket": 3}]},
    ]
    for shot in shots:
        assert post(url, "/v1/matches/%s/shots" % match, args.key, args.scorer, shot) == 200
        answered = time.monotonic()
        events = get(url, "/v1/matches/%s/events?after=%d" % (match, seen))["events"]
        seen = events[-1]["seq"]
        for entry in events:
            body = list(entry["event"].values())[0]
            if entry["type"] in ("match.shot", "match.foul"):
                ruling = body["ruling"]
                expected = ruling["summary"] + (" [WPA %s]" % ruling["rule"] if ruling["rule"] else "")
            elif entry["type"] == "match.commentary":
                expected = "Commentary: " + body["text"]
            else:
                continue
            left = max(50, int((answered + 1.0 - time.monotonic()) * 1000))
            expect(log).to_contain_text(expected, timeout=left)
    expect(page.locator("#scoreA")).to_have_text("1", timeout=max(50, int((answered + 1.0 - time.monotonic()) * 1000)))
    lines = log.locator("li").count()

    # kill -9; the test starts the server again on the same port.
    state["restarting"] = True
    os.kill(args.kill_pid, 9)
    expect(page.locator("#connection")).to_have_text("reconnecting…", timeout=5000)
    expect(page.locator("#connection")).to_have_text("live", timeout=60000)
    state["restarting"] = False
    expect(page.locator("#connection")).to_have_attribute("data-resumed", "true")
    assert log.locator("li").count() == lines, "the page repeated or lost lines: %d then %d" % (lines, log.locator("li").count())
    assert post(url, "/v1/matches/%s/racks" % match, args.key, args.scorer, {"winner": "B"}) == 200
    expect(page.locator("#scoreB")).to_have_text("1", timeout=1000)
    expect(log).to_contain_text("Rack 2 to B", timeout=1000)
    shoot(page, args, "match")


def check_replay(page, args):
    """A match refereed from its camera's frames: its page shows the shot under review and replays
    the last shot read from the frames, drawn from the frames the server kept."""
    page.goto(args.url + "/watch/match/" + args.replay)
    expect(page.locator("#connection")).to_have_text("live", timeout=15000)
    expect(page.locator("#review")).to_have_text("under review", timeout=10000)
    page.click("#replay")
    expect(page.locator("#table")).to_have_attribute("data-replayed", re.compile(r"^[1-9][0-9]*$"), timeout=30000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--match")
    parser.add_argument("--key")
    parser.add_argument("--scorer")
    parser.add_argument("--replay", help="only check the page of this match refereed from frames (a shot under review, the replay)")
    parser.add_argument("--tournament")
    parser.add_argument("--director")
    parser.add_argument("--venue")
    parser.add_argument("--screenshots", help="a directory to write the pages' screenshots to")
    parser.add_argument("--shots", help="only check this match's page: shots, rulings and commentary within a second, then a restart")
    parser.add_argument("--kill-pid", type=int, help="with --shots: the server's process, killed with -9 (the test starts it again)")
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    problems = []
    # While the server is down, the browser's failed reconnects are expected console errors.
    state = {"restarting": False}

    def console(message):
        if message.type == "error" and not (state["restarting"] and "WebSocket" in message.text):
            problems.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda response: problems.append("%d %s" % (response.status, response.url)) if response.status >= 400 else None)
        if args.shots:
            check_shots_and_restart(page, args, state)
            browser.close()
            if problems:
                print("console errors: %s" % problems)
                return 1
            print("watch-check: each shot's ruling and the commentary showed within a second; the page came back by itself after a restart and resumed")
            return 0
        if args.replay:
            check_replay(page, args)
            browser.close()
            if problems:
                print("console errors: %s" % problems)
                return 1
            print("watch-check: the match page showed the shot under review and replayed the last shot from its frames")
            return 0
        page.goto(args.url + "/watch/match/" + args.match)
        # Locators, not evaluated strings: the page's CSP refuses eval (as it should).
        expect(page.locator("#connection")).to_have_text("live", timeout=15000)
        assert page.text_content("#scoreA") == "0", page.text_content("#scoreA")
        assert page.text_content("#playerA") != "…"
        assert post(args.url, "/v1/matches/%s/start" % args.match, args.key, args.scorer, {}) == 200
        assert post(args.url, "/v1/matches/%s/racks" % args.match, args.key, args.scorer, {"winner": "A"}) == 200
        expect(page.locator("#scoreA")).to_have_text("1", timeout=10000)
        expect(page.locator("#log")).to_contain_text("Rack 1", timeout=10000)
        assert page.text_content("#status") == "LIVE", page.text_content("#status")
        page.goto(args.url + "/watch")
        page.wait_for_selector("a[href='/watch/match/%s']" % args.match, timeout=10000)
        if args.tournament:
            check_tournament(page, args)
        if args.venue:
            check_venue(page, args)
        browser.close()
    if problems:
        print("console errors: %s" % problems)
        return 1
    print("watch-check: the match page went live, followed a rack, and the index lists the match"
          + ("; the venue page followed a match on its table" if args.venue else "")
          + ("; the tournament page followed its bracket to the champion" if args.tournament else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

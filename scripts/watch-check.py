#!/usr/bin/env python3
"""Opens the spectator pages in a real browser (Debian's chromium driven by Playwright) against a
running server and checks that they work as a spectator sees them: the match page connects over
the public WebSocket protocol, shows the score, and updates live when the scorer records a rack
(sent here over REST with the service key); the index lists the match; no script or policy
error appears in the console. With --venue, the venue page: a match put on its table shows on the
table's card with its players, and its score moves when a rack is recorded. With --tournament, the tournament page too: the bracket goes live, a
match's result marks its slot done, and the final takes the two winners when its match is assigned
(matches played here over REST as the director). Run by WatchPageTests (the suite); exits non-zero
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
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda response: problems.append("%d %s" % (response.status, response.url)) if response.status >= 400 else None)
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
        shoot(page, args, "match")
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

/// The spectator pages' files, kept in the binary (one file to deploy; no build step).
enum WatchAssets {
    static let files: [String: (String, String)] = [
        "watch.css": (css, "text/css; charset=utf-8"),
        "index.js": (indexJS, "text/javascript; charset=utf-8"),
        "match.js": (matchJS, "text/javascript; charset=utf-8"),
        "tournament.js": (tournamentJS, "text/javascript; charset=utf-8"),
        "venue.js": (venueJS, "text/javascript; charset=utf-8"),
        "live.js": (liveJS, "text/javascript; charset=utf-8"),
        "icon.svg": (icon, "image/svg+xml"),
    ]

    /// An eight ball.
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="8" fill="#111"/>\
        <circle cx="8" cy="8" r="4" fill="#fff"/><text x="8" y="10.5" font-size="6" text-anchor="middle">8</text></svg>
        """

    static let indexHTML = page(
        title: "DojoPool — live",
        script: "index.js",
        body: """
            <header><h1>DojoPool live</h1></header>
            <main>
            <ul id="matches" aria-live="polite"><li class="muted">Loading…</li></ul>
            <h2>Tournaments</h2>
            <ul id="tournaments"><li class="muted">Loading…</li></ul>
            </main>
            """
    )

    static let matchHTML = page(
        title: "DojoPool — match",
        script: "match.js",
        body: """
            <header><a href="/watch">← live</a> <span id="connection" class="badge">connecting…</span> <span id="spectators" class="muted"></span></header>
            <main>
            <section class="scoreboard">
              <div class="player"><span id="playerA">…</span><strong id="scoreA">0</strong></div>
              <div class="meta"><span id="status">…</span><span id="race"></span><span id="review" class="badge live" hidden></span></div>
              <div class="player"><strong id="scoreB">0</strong><span id="playerB">…</span></div>
            </section>
            <canvas id="table" width="800" height="400" aria-label="the table, drawn from the camera"></canvas>
            <p><button id="replay" type="button" hidden>▶ Replay the last shot</button></p>
            <h2>Play</h2>
            <ol id="log" reversed></ol>
            </main>
            """
    )

    static let tournamentHTML = page(
        title: "DojoPool — tournament",
        script: "tournament.js",
        body: """
            <header><a href="/watch">← live</a> <span id="connection" class="badge">connecting…</span></header>
            <main>
            <h1 id="name">…</h1>
            <p><span id="status" class="badge">…</span> <span id="format" class="muted"></span> <strong id="champion"></strong></p>
            <p id="players" class="muted"></p>
            <div id="bracket" class="bracket" aria-live="polite"></div>
            <div id="standings"></div>
            </main>
            """
    )

    static let venueHTML = page(
        title: "DojoPool — venue",
        script: "venue.js",
        body: """
            <header><a href="/watch">← live</a> <span id="connection" class="badge">connecting…</span> <span id="spectators" class="muted"></span></header>
            <main>
            <h1 id="name">…</h1>
            <p id="address" class="muted"></p>
            <div id="tables" class="tables" aria-live="polite"></div>
            </main>
            """
    )

    /// A page: the shared head (styles, icon, the shared connection script for the live pages,
    /// its own script, deferred), then `body`.
    static func page(title: String, script: String, body: String) -> String {
        let shared = script == "index.js" ? "" : "<script defer src=\"/watch/assets/live.js\"></script>\n"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <link rel="stylesheet" href="/watch/assets/watch.css">
            <link rel="icon" href="/watch/assets/icon.svg">
            \(shared)<script defer src="/watch/assets/\(script)"></script>
            </head>
            <body>
            \(body)
            </body>
            </html>
            """
    }

    static let css = """
        :root { color-scheme: dark; font-family: system-ui, sans-serif; background: #0d1b14; color: #eef; }
        body { margin: 0 auto; max-width: 60rem; padding: 1rem; font-size: clamp(16px, 2vw, 28px); }
        a { color: #9cf; }
        .muted { color: #9aa; }
        .badge { padding: 0.1em 0.5em; border-radius: 0.5em; background: #553; }
        .badge.live { background: #264; }
        .scoreboard { display: grid; grid-template-columns: 1fr auto 1fr; gap: 1rem; align-items: center; margin: 1rem 0; }
        .player { display: flex; gap: 1rem; align-items: center; justify-content: space-between; font-size: 1.4em; }
        .player strong { font-size: 2em; }
        .meta { display: flex; flex-direction: column; text-align: center; }
        canvas { box-sizing: border-box; width: 100%; background: #1e5a34; border: 0.6rem solid #5a3a1e; border-radius: 0.4rem; }
        #log li { margin: 0.2em 0; }
        #matches li, #tournaments li { margin: 0.5em 0; }
        .bracket { display: flex; gap: 1rem; overflow-x: auto; align-items: flex-start; }
        .round { min-width: 11rem; display: flex; flex-direction: column; gap: 0.5rem; }
        .round h3 { font-size: 0.8em; margin: 0; color: #9aa; }
        .slot { border: 1px solid #355; border-radius: 0.3rem; padding: 0.3rem 0.5rem; font-size: 0.75em; }
        .slot.live { border-color: #4c8; box-shadow: 0 0 0.4rem #4c8; }
        .slot.done { opacity: 0.85; }
        .side { display: flex; justify-content: space-between; gap: 0.5rem; }
        .side.won { font-weight: bold; color: #fff; }
        .side .source { color: #9aa; font-style: italic; }
        table.standings td, table.standings th { padding: 0 0.5em; text-align: right; }
        .tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; }
        .card { border: 1px solid #355; border-radius: 0.4rem; padding: 0.6rem 0.8rem; background: #12281d; }
        .card h2 { font-size: 1em; margin: 0 0 0.4rem; display: flex; justify-content: space-between; gap: 0.5rem; }
        .card.occupied { border-color: #4c8; }
        .card.maintenance { opacity: 0.7; }
        .card .score { font-size: 1.3em; display: block; margin: 0.3rem 0; }
        """

    /// The live pages' connection (match, venue, tournament): the public WebSocket protocol, one
    /// room followed and recovered by `since` after a reconnect, a visible reconnecting state.
    static let liveJS = """
        'use strict';
        // Follows `room` on /v1/ws: `on.snapshot(message, socket)` and `on.event(message)` for the room,
        // `on.live(socket)` once subscribed, `on.other(message, socket)` for everything else (other
        // rooms, frames, presence). Reconnects by itself (0.5 s, doubling to 10 s) and resumes by `since`.
        function followRoom(room, on) {
          const badge = document.getElementById('connection');
          let since = null;
          let retry = 500;
          function connect() {
            const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/ws');
            socket.onmessage = (raw) => {
              const message = JSON.parse(raw.data);
              const mine = message.room === room;
              if (message.type === 'hello') {
                const subscribe = { type: 'subscribe', room: room, id: 'room' };
                if (since) subscribe.since = since;
                socket.send(JSON.stringify(subscribe));
              } else if (message.type === 'ack' && message.id === 'room') {
                badge.textContent = 'live';
                badge.className = 'badge live';
                // Whether the server resumed the room from `since` (recovered) or sent a snapshot.
                badge.dataset.resumed = since ? String(message.recovered === true) : '';
                retry = 500;
                if (on.live) on.live(socket);
              } else if (message.type === 'snapshot' && mine) {
                since = { seq: message.seq, epoch: message.epoch };
                on.snapshot(message, socket);
              } else if (message.type === 'event' && mine) {
                on.event(message);
                since = { seq: message.seq, epoch: message.epoch };
              } else if (message.type === 'error' && message.id === 'room') {
                badge.textContent = message.code;
              } else if (on.other) {
                on.other(message, socket);
              }
            };
            socket.onclose = () => {
              badge.textContent = 'reconnecting…';
              badge.className = 'badge';
              if (on.closed) on.closed();
              setTimeout(connect, retry);
              retry = Math.min(retry * 2, 10000);
            };
          }
          connect();
        }
        """

    static let indexJS = """
        'use strict';
        // Fills a list from a page of the API: one link per entry, or `empty` when there is none.
        async function fill(listId, url, key, empty, entry) {
          const list = document.getElementById(listId);
          try {
            const response = await fetch(url);
            const body = await response.json();
            const entries = body[key] || [];
            list.replaceChildren();
            if (entries.length === 0) {
              const item = document.createElement('li');
              item.className = 'muted';
              item.textContent = empty;
              list.append(item);
            }
            for (const value of entries) {
              const [href, text, after] = entry(value);
              const item = document.createElement('li');
              const link = document.createElement('a');
              link.href = href;
              link.textContent = text;
              item.append(link, ' ', after);
              list.append(item);
            }
          } catch (error) {
            list.textContent = 'The list could not be loaded; retrying.';
          }
        }
        function load() {
          fill('matches', '/v1/matches?status=LIVE,SCHEDULED&limit=100', 'matches', 'No match right now.', (match) => [
            '/watch/match/' + encodeURIComponent(match.id),
            match.playerA + ' ' + match.scoreA + ' – ' + match.scoreB + ' ' + match.playerB,
            match.status === 'LIVE' ? '● live' : 'scheduled',
          ]);
          fill('tournaments', '/v1/tournaments?status=LIVE,UPCOMING&limit=50', 'tournaments', 'No tournament right now.', (tournament) => [
            '/watch/tournament/' + encodeURIComponent(tournament.id),
            tournament.name,
            (tournament.status === 'LIVE' ? '● live' : 'upcoming') + ' · ' + tournament.participants.length + ' players',
          ]);
        }
        load();
        setInterval(load, 5000);
        """

    static let matchJS = """
        'use strict';
        const id = decodeURIComponent(location.pathname.split('/').pop());
        const $ = (name) => document.getElementById(name);
        let tableRoom = null;
        // The last shot read from the camera's frames, and whether it is being replayed (live
        // frames wait meanwhile).
        let lastShot = null;
        let replaying = false;

        function showReview(review) {
          $('review').hidden = !review;
          $('review').textContent = review ? 'under review' : '';
          $('review').title = review ? review.reason : '';
        }

        function offerReplay(shotId) {
          if (!shotId || !shotId.startsWith('vision-')) return;
          lastShot = shotId;
          $('replay').hidden = false;
        }

        // Plays the kept frames of a shot at their own pace.
        async function replay(shotId) {
          if (replaying) return;
          const response = await fetch('/v1/matches/' + encodeURIComponent(id) + '/shots/' + encodeURIComponent(shotId) + '/frames');
          if (!response.ok) return;
          const frames = (await response.json()).frames || [];
          if (frames.length === 0) return;
          replaying = true;
          const began = performance.now();
          let index = 0;
          await new Promise((done) => {
            function step() {
              const elapsed = performance.now() - began;
              while (index < frames.length - 1 && frames[index + 1].t - frames[0].t <= elapsed) index++;
              draw(frames[index]);
              if (index >= frames.length - 1) return done();
              setTimeout(step, 16);
            }
            step();
          });
          replaying = false;
          $('table').dataset.replayed = String(frames.length);
        }

        function render(state) {
          $('playerA').textContent = state.playerA;
          $('playerB').textContent = state.playerB;
          $('scoreA').textContent = state.scoreA;
          $('scoreB').textContent = state.scoreB;
          $('status').textContent = state.status;
          $('race').textContent = 'race to ' + state.raceTo;
          if (state.tableID && !tableRoom) tableRoom = 'table:' + state.tableID;
          showReview(state.review);
          offerReplay(state.lastShotId);
        }

        function line(text) {
          const item = document.createElement('li');
          item.textContent = text;
          $('log').prepend(item);
          while ($('log').children.length > 200) $('log').lastChild.remove();
        }

        function describe(type, event) {
          const body = Object.values(event)[0] || {};
          switch (type) {
            case 'match.started': return 'The match started.';
            case 'match.rack_started': return 'Rack ' + (body.rack || '') + ' started.';
            case 'match.rack_ended': return 'Rack ' + body.rack + ' to ' + body.winner + ': ' + body.scoreA + ' – ' + body.scoreB;
            case 'match.completed': return 'The match is over.';
            case 'match.cancelled': return 'The match was cancelled.';
            case 'match.shot': case 'match.foul': case 'match.decision': {
              // The referee's sentence and the deciding rule (WPA numbers), as the ruling says them.
              const ruling = body.ruling || {};
              const said = ruling.summary || ((type === 'match.decision' ? 'Decision by ' : 'Shot by ') + (ruling.player || body.shooter || '?') + '.');
              return said + (ruling.rule ? ' [WPA ' + ruling.rule + ']' : '');
            }
            case 'match.shot_corrected': return 'The last shot was corrected.';
            case 'match.commentary': return 'Commentary: ' + (body.text || body._0 || '');
            case 'match.review_opened': return 'Under review: ' + ((body.review || {}).reason || '');
            case 'match.review_proposed': return 'Player ' + body.side + ' proposed a ruling for the shot under review.';
            case 'match.review_resolved': return 'The shot under review was ' + (body.edited ? 'corrected' : 'confirmed') + '.';
            case 'match.declared': return 'Declared for the next shot.';
            default: return type;
          }
        }

        function apply(message) {
          const event = message.event || {};
          const body = Object.values(event)[0] || {};
          if (message.eventType === 'match.rack_ended') {
            $('scoreA').textContent = body.scoreA;
            $('scoreB').textContent = body.scoreB;
          }
          if (message.eventType === 'match.started') $('status').textContent = 'LIVE';
          if (message.eventType === 'match.completed') $('status').textContent = 'COMPLETED';
          if (message.eventType === 'match.cancelled') $('status').textContent = 'CANCELLED';
          if (message.eventType === 'match.review_opened') showReview(body.review);
          if (message.eventType === 'match.review_resolved') showReview(null);
          if ((message.eventType === 'match.shot' || message.eventType === 'match.foul') && String(body.source || '').startsWith('vision:')) {
            offerReplay((body.shot || {}).shotId);
            if (lastShot) replay(lastShot);
          }
          line(describe(message.eventType, event));
        }

        function draw(frame) {
          const canvas = $('table');
          const context = canvas.getContext('2d');
          context.clearRect(0, 0, canvas.width, canvas.height);
          for (const [n, x, y] of frame.balls || []) {
            context.beginPath();
            context.arc(x / 2 * canvas.width, y * canvas.height, 12, 0, 2 * Math.PI);
            context.fillStyle = n === 0 ? '#fff' : n === 8 ? '#111' : 'hsl(' + (n * 40) + ',70%,50%)';
            context.fill();
          }
        }

        function connect() {
          followRoom('match:' + id, {
            live: (socket) => { if (tableRoom) socket.send(JSON.stringify({ type: 'subscribe', room: tableRoom, id: 'table' })); },
            snapshot: (message, socket) => {
              render(message.state);
              if (tableRoom && !message.recovered) socket.send(JSON.stringify({ type: 'subscribe', room: tableRoom, id: 'table' }));
            },
            event: apply,
            other: (message) => {
              if (message.type === 'frame' && !replaying) draw(message.data);
              if (message.type === 'presence' && message.room === 'match:' + id) $('spectators').textContent = message.count + ' watching';
            },
          });
        }

        $('replay').addEventListener('click', () => { if (lastShot) replay(lastShot); });

        fetch('/v1/matches/' + encodeURIComponent(id))
          .then((response) => response.ok ? response.json() : Promise.reject(response.status))
          .then((body) => { render(body.match); connect(); })
          .catch(() => { $('connection').textContent = 'no such match'; });
        """

    static let tournamentJS = """
        'use strict';
        const id = decodeURIComponent(location.pathname.split('/').pop());
        const $ = (name) => document.getElementById(name);
        let view = null;

        const partNames = { winners: 'Round', losers: 'Losers round', grand_final: 'Grand final', reset: 'Reset', group: 'Group' };
        const slots = () => (view && view.bracket ? view.bracket.rounds.flatMap((round) => round.slots) : []);
        const findSlot = (n) => slots().find((slot) => slot.id === n);

        function side(player, source, score, winner) {
          const row = document.createElement('div');
          row.className = 'side' + (winner && winner === player ? ' won' : '');
          const name = document.createElement('span');
          if (player) { name.textContent = player; } else { name.textContent = source; name.className = 'source'; }
          const points = document.createElement('span');
          points.textContent = score === null || score === undefined ? '' : String(score);
          row.append(name, points);
          return row;
        }

        function render() {
          if (!view) return;
          $('name').textContent = view.name;
          $('status').textContent = view.status;
          $('status').className = 'badge' + (view.status === 'LIVE' ? ' live' : '');
          $('format').textContent = view.format.replace(/_/g, ' ') + ' · race to ' + view.raceTo;
          $('champion').textContent = view.champion ? 'Champion: ' + view.champion : '';
          $('players').textContent = view.participants.length + ' players';
          const bracket = $('bracket');
          bracket.replaceChildren();
          for (const round of (view.bracket ? view.bracket.rounds : [])) {
            const column = document.createElement('section');
            column.className = 'round';
            const title = document.createElement('h3');
            title.textContent = round.part === 'group' ? 'Group ' + round.group + ' · round ' + round.round
              : (partNames[round.part] || round.part) + (round.part === 'winners' || round.part === 'losers' ? ' ' + round.round : '');
            column.append(title);
            for (const slot of round.slots) {
              if (slot.status === 'bye') continue;
              const box = document.createElement('div');
              box.className = 'slot ' + slot.status;
              box.id = 'slot-' + slot.id;
              box.append(side(slot.playerA, slot.sourceA, slot.scoreA, slot.winnerId), side(slot.playerB, slot.sourceB, slot.scoreB, slot.winnerId));
              const meta = document.createElement('small');
              meta.className = 'muted';
              meta.textContent = slot.status === 'live' ? '● live' + (slot.tableId ? ' · table ' + slot.tableId : '') : slot.walkover ? 'walkover' : slot.status;
              box.append(meta);
              column.append(box);
            }
            bracket.append(column);
          }
          const standings = $('standings');
          standings.replaceChildren();
          (view.standings || []).forEach((group, index) => {
            if (group.length === 0) return;
            const table = document.createElement('table');
            table.className = 'standings';
            const caption = document.createElement('caption');
            caption.textContent = 'Group ' + (index + 1);
            table.append(caption);
            for (const row of group) {
              const line = document.createElement('tr');
              for (const value of [row.player, row.wins + '–' + row.losses, (row.rackDifference > 0 ? '+' : '') + row.rackDifference]) {
                const cell = document.createElement('td');
                cell.textContent = value;
                line.append(cell);
              }
              table.append(line);
            }
            standings.append(table);
          });
        }

        async function refresh() {
          try {
            const response = await fetch('/v1/tournaments/' + encodeURIComponent(id));
            if (!response.ok) { $('connection').textContent = 'no such tournament'; return false; }
            view = (await response.json()).tournament;
            render();
            return true;
          } catch (error) {
            return false;
          }
        }

        function apply(message) {
          const body = Object.values(message.event || {})[0] || {};
          switch (message.eventType) {
            case 'tournament.match_assigned': {
              const assignment = body._0 || {};
              const slot = findSlot(assignment.slot);
              if (slot) Object.assign(slot, { status: 'live', matchId: assignment.matchID, tableId: assignment.tableID || null,
                playerA: assignment.playerA, playerB: assignment.playerB, scoreA: 0, scoreB: 0, raceTo: assignment.raceTo });
              break;
            }
            case 'tournament.score_changed': {
              const slot = findSlot(body.slot);
              if (slot) Object.assign(slot, { scoreA: body.scoreA, scoreB: body.scoreB });
              break;
            }
            case 'tournament.result_recorded': {
              const slot = findSlot(body.slot);
              if (slot) Object.assign(slot, { status: 'done', scoreA: body.scoreA, scoreB: body.scoreB, winnerId: body.winnerID,
                tableId: null, walkover: body.walkover });
              break;
            }
            case 'tournament.match_replaced': {
              const slot = findSlot(body.slot);
              if (slot) Object.assign(slot, { status: 'queued', tableId: null });
              break;
            }
            case 'tournament.completed':
              view.status = 'COMPLETED';
              view.placings = body.placings;
              view.champion = body.placings && body.placings[0] ? body.placings[0][0] : null;
              break;
            case 'tournament.cancelled':
              view.status = 'CANCELLED';
              break;
            case 'tournament.registered':
              view.participants.push({ userId: body.userID, checkedIn: false, paid: body.paid, disqualified: false });
              break;
            case 'tournament.unregistered': case 'tournament.entry_failed':
              view.participants = view.participants.filter((p) => p.userId !== body.userID);
              break;
            case 'tournament.checked_in': case 'tournament.entry_paid': case 'tournament.disqualified': {
              const participant = view.participants.find((p) => p.userId === body.userID);
              const field = { 'tournament.checked_in': 'checkedIn', 'tournament.entry_paid': 'paid', 'tournament.disqualified': 'disqualified' };
              if (participant) participant[field[message.eventType]] = true;
              break;
            }
            case 'tournament.tables_changed':
              view.unavailableTables = body.unavailable || [];
              break;
            case 'tournament.started':
              // The bracket is drawn by the server: read the view once, spread over a few seconds
              // so a full room does not ask all at once.
              setTimeout(refresh, Math.random() * 3000);
              return;
            default:
              return;
          }
          render();
        }

        function connect() {
          followRoom('tournament:' + id, {
            snapshot: (message) => { view = message.state; render(); },
            event: (message) => { if (view) apply(message); },
          });
        }

        // What the events do not carry (the players of a slot still waiting for a table, the
        // standings): the whole view again now and then, each screen at its own moment.
        setInterval(refresh, 25000 + Math.random() * 10000);
        refresh().then((found) => { if (found) connect(); });
        """

    static let venueJS = """
        'use strict';
        const id = decodeURIComponent(location.pathname.split('/').pop());
        const $ = (name) => document.getElementById(name);
        let view = null;
        let socket = null;
        // The live matches shown, by id: their players and score, from their own rooms.
        const matches = new Map();
        const followed = new Set();
        const statusNames = { available: 'free', occupied: 'in play', maintenance: 'maintenance' };

        const status = (table) => table.liveMatches && table.liveMatches.length > 0 ? 'occupied' : table.maintenance ? 'maintenance' : 'available';

        function render() {
          if (!view) return;
          $('name').textContent = view.name;
          $('address').textContent = view.address || '';
          const grid = $('tables');
          grid.replaceChildren();
          if (view.tables.length === 0) {
            const none = document.createElement('p');
            none.className = 'muted';
            none.textContent = 'No tables yet.';
            grid.append(none);
          }
          for (const table of view.tables) {
            const card = document.createElement('section');
            const state = status(table);
            card.className = 'card ' + state;
            card.id = 'table-' + table.id;
            const title = document.createElement('h2');
            const name = document.createElement('span');
            name.textContent = table.name;
            const badge = document.createElement('span');
            badge.className = 'badge' + (state === 'occupied' ? ' live' : '');
            badge.textContent = statusNames[state];
            title.append(name, badge);
            card.append(title);
            for (const matchId of table.liveMatches || []) {
              const match = matches.get(matchId);
              const link = document.createElement('a');
              link.href = '/watch/match/' + encodeURIComponent(matchId);
              link.className = 'score';
              link.textContent = match ? match.playerA + ' ' + match.scoreA + ' – ' + match.scoreB + ' ' + match.playerB : 'match ' + matchId;
              card.append(link);
              if (match) {
                const meta = document.createElement('small');
                meta.className = 'muted';
                meta.textContent = 'race to ' + match.raceTo + ' · ' + match.status;
                card.append(meta);
              }
            }
            grid.append(card);
          }
        }

        // Follows the rooms of the matches on the tables, and leaves the others.
        function follow() {
          if (!socket || socket.readyState !== WebSocket.OPEN || !view) return;
          const live = new Set(view.tables.flatMap((table) => table.liveMatches || []));
          for (const matchId of live) {
            if (followed.has(matchId)) continue;
            followed.add(matchId);
            socket.send(JSON.stringify({ type: 'subscribe', room: 'match:' + matchId, id: 'match:' + matchId }));
          }
          for (const matchId of [...followed]) {
            if (live.has(matchId)) continue;
            followed.delete(matchId);
            matches.delete(matchId);
            socket.send(JSON.stringify({ type: 'unsubscribe', room: 'match:' + matchId }));
          }
        }

        function applyVenue(message) {
          const body = Object.values(message.event || {})[0] || {};
          const table = view.tables.find((t) => t.id === body.tableID);
          switch (message.eventType) {
            case 'venue.table_added':
              view.tables.push({ id: body.tableID, name: body.name, maintenance: false, liveMatches: [] });
              break;
            case 'venue.maintenance_changed':
              if (table) table.maintenance = body.on;
              break;
            case 'venue.table_occupied':
              if (table && !table.liveMatches.includes(body.matchID)) table.liveMatches.push(body.matchID);
              break;
            case 'venue.table_released':
              if (table) table.liveMatches = table.liveMatches.filter((m) => m !== body.matchID);
              break;
            default:
              return;
          }
          follow();
          render();
        }

        function applyMatch(matchId, message) {
          const match = matches.get(matchId);
          if (!match) return;
          const body = Object.values(message.event || {})[0] || {};
          if (message.eventType === 'match.rack_ended') { match.scoreA = body.scoreA; match.scoreB = body.scoreB; }
          if (message.eventType === 'match.started') match.status = 'LIVE';
          if (message.eventType === 'match.completed') match.status = 'COMPLETED';
          if (message.eventType === 'match.cancelled') match.status = 'CANCELLED';
          render();
        }

        function connect() {
          followRoom('venue:' + id, {
            live: (opened) => { socket = opened; followed.clear(); follow(); },
            snapshot: (message, opened) => { socket = opened; view = message.state; follow(); render(); },
            event: (message) => { if (view) applyVenue(message); },
            other: (message) => {
              const matchId = message.room && message.room.startsWith('match:') ? message.room.slice(6) : null;
              if (message.type === 'snapshot' && matchId && followed.has(matchId)) {
                const state = message.state;
                matches.set(matchId, { playerA: state.playerA, playerB: state.playerB, scoreA: state.scoreA, scoreB: state.scoreB,
                  raceTo: state.raceTo, status: state.status });
                render();
              } else if (message.type === 'event' && matchId) {
                applyMatch(matchId, message);
              } else if (message.type === 'presence' && message.room === 'venue:' + id) {
                $('spectators').textContent = message.count + ' watching';
              }
            },
            closed: () => { socket = null; },
          });
        }

        fetch('/v1/venues/' + encodeURIComponent(id))
          .then((response) => response.ok ? response.json() : Promise.reject(response.status))
          .then((body) => { view = body.venue; render(); connect(); })
          .catch(() => { $('connection').textContent = 'no such venue'; });
        """
}

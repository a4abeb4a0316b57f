"""The photo browser's views and controls in the browser (web/js/filters.js, viewer.js,
albums.js, duplicates.js, status.js), each checked against the server's own API answer for the
same request: the filters and the address, the colour search, a picture's labels and texts, the
albums (made here from a theme file, as a job with its progress and Cancel), the duplicates
(a job too), the date switch (taken or modified), the status and a rescan, and the views on
a phone. Run by web_page_test.py on its server and browser."""
import json
import math
import urllib.parse

from api_answers import PAGE, api_get, api_like, api_post, api_text, expect_results, ids
from browser_session import check, wait_until

TEXT = "a red circle on blue"
RED = "#ff0000"


def set_control(b, css, value):
    """Sets an input or select as a person would, with the events the page listens to."""
    b.js("""
      const [css, value] = arguments;
      const e = document.querySelector(css);
      e.value = value;
      e.dispatchEvent(new Event('input', {bubbles: true}));
      e.dispatchEvent(new Event('change', {bubbles: true}));""", css, value)


def address(b):
    return dict(urllib.parse.parse_qsl(b.js("return location.hash.slice(1)")))


def open_filters(b):
    if not b.js("return document.getElementById('filters').open"):
        b.find("#filters summary").click()


def step_filters(b, server):
    """Type, order and a relevance cutoff change the answer as the API would, the cutoff says
    how many it keeps, and the address carries them all through a reload."""
    b.open(server.url + "/#" + urllib.parse.urlencode({"q": TEXT}))
    expect_results(b, api_text(server, TEXT), "the query before filtering")
    open_filters(b)
    wait_until(lambda: b.js("return [...document.querySelectorAll('#f-type option')]"
                            ".some(o => o.value === 'png')"), 30, "the type list never filled")
    folders = api_get(server, "/api/folders")["folders"]
    shown = b.js("return [...document.querySelectorAll('#f-folder option')].map(o => o.value)")
    check(shown == [""] + [f["path"] for f in folders],
          f"the folder list {shown} is not the API's {folders}")
    set_control(b, "#f-type", "png")
    expect_results(b, api_text(server, TEXT, type="png"), "type png")
    set_control(b, "#f-sort", "date")
    expect_results(b, api_text(server, TEXT, type="png", sort="date"), "png, newest first")
    # The highest cutoff on the slider's 0.005 steps below the best score: it keeps the best
    # (the random-weight model's scores are small, the two copies of a photo score alike).
    scores = [r["score"] for r in api_text(server, TEXT, type="png")["results"]]
    cutoff = math.ceil(scores[0] / 0.005 - 1) * 0.005
    check(0 < cutoff < scores[0] and scores[-1] < cutoff,
          f"no cutoff on the slider fits these scores: {scores[:5]}")
    set_control(b, "#f-min", f"{cutoff:.3f}")
    cutoff = b.js("return document.getElementById('f-min').value")  # as the slider holds it
    want = api_text(server, TEXT, type="png", sort="date", min_score=cutoff)
    expect_results(b, want, f"png, newest first, relevance at least {cutoff}")
    check(want["kept"] == len(want["results"]) < len(scores), f"the API keeps {want.get('kept')}")
    wait_until(lambda: b.text("#f-kept") == f"keeps {want['kept']}", 10,
               lambda: f"the cutoff says {b.text('#f-kept')!r}, the API keeps {want['kept']}")
    check(address(b) == {"q": TEXT, "type": "png", "sort": "date", "min": cutoff},
          f"the address holds {address(b)}")
    b.screenshot("desktop-filters")
    # A reload (or a shared link) shows the same controls and the same results.
    hash_ = b.js("return location.hash")
    b.open(server.url + "/" + hash_)
    expect_results(b, want, "the same address, reloaded")
    controls = b.js("return ['f-type', 'f-sort', 'f-min'].map(i => document.getElementById(i)"
                    ".value)")
    check(controls == ["png", "date", cutoff], f"the reloaded controls say {controls}")
    open_filters(b)
    b.find("#f-clear").click()
    expect_results(b, api_text(server, TEXT), "filters cleared")
    check(address(b) == {"q": TEXT}, f"cleared filters stay in the address: {address(b)}")
    step_modified_dates(b, server)


def step_modified_dates(b, server):
    """The date switch: a range of the modification time is the API's date=modified, in the
    address as date=modified through a reload; a range before every file's modification finds
    nothing, as the API says."""
    set_control(b, "#f-date", "modified")
    set_control(b, "#f-since", "2001-01-01")
    want = api_text(server, TEXT, since="2001-01-01", date="modified")
    # Every photo is newer than 2001: the grid does not change, so wait for the request itself.
    wait_until(lambda: any("date=modified" in u and "since=2001-01-01" in u
                           for u in b.search_requests()), 30,
               lambda: f"the page did not ask for date=modified: {b.search_requests()[-2:]}")
    expect_results(b, want, "modified since 2001")
    wait_until(lambda: address(b) == {"q": TEXT, "since": "2001-01-01", "date": "modified"}, 10,
               lambda: f"the address holds {address(b)}")
    b.open(server.url + "/" + b.js("return location.hash"))
    expect_results(b, want, "modified since 2001, reloaded")
    check(b.js("return document.getElementById('f-date').value") == "modified",
          "the reloaded date switch is not 'modified'")
    open_filters(b)
    set_control(b, "#f-since", "")
    set_control(b, "#f-until", "2001-01-01")
    check(not api_text(server, TEXT, until="2001-01-01", date="modified")["results"],
          "the API finds files modified before 2001")
    b.wait_state("empty", "modified until 2001")
    b.find("#f-clear").click()
    expect_results(b, api_text(server, TEXT), "filters cleared")
    check(b.js("return document.getElementById('f-date').value") == "taken",
          "clearing the filters leaves the date switch on 'modified'")


def step_colour(b, server):
    """The colour and its weight turn the search into colour + meaning; "in this colour" from
    the viewer is "more like this" with the colour."""
    open_filters(b)
    set_control(b, "#f-color", RED)
    b.find("#f-color-on").click()
    want = api_text(server, TEXT, color=RED, color_weight="0.3")
    expect_results(b, want, "with the colour red")
    check(ids(want) != ids(api_text(server, TEXT)), "the colour does not reorder the results")
    check(address(b).get("color") == RED, f"the address lacks the colour: {address(b)}")
    b.screenshot("desktop-colour")
    first = want["results"][0]
    b.find("#results .card:nth-child(1) .thumb").click()
    b.expect_viewer(first, None)
    b.find("#viewer-like-color").click()
    expect_results(b, api_like(server, first["id"], color=RED, color_weight=0.3),
                   "more like the first, in red")
    check(address(b) == {"like": str(first["id"]), "color": RED, "cw": "0.3"},
          f"the address holds {address(b)}")
    b.find("#f-clear").click()
    expect_results(b, api_like(server, first["id"]), "more like the first, colour cleared")


def step_labels_and_texts(b, server):
    """The viewer classifies its picture against typed labels and scores typed texts, as
    /api/classify and /api/similarity answer."""
    image = api_like(server, int(address(b)["like"]))["results"][0]  # the first card's
    b.find("#results .card:nth-child(1) .thumb").click()
    b.expect_viewer(image, None)
    b.find("#viewer .inspect summary").click()
    labels = ["red", "green", "blue"]
    b.find("#viewer-labels").send_keys(", ".join(labels) + "\n")
    body = json.dumps({"id": image["id"], "labels": labels, "top_k": 3}).encode()
    want = [(l["label"], f"{l['probability'] * 100:.1f}%") for l in api_post(
        server, body, "application/json", "/api/classify")["labels"]]
    rows = "return [...document.querySelectorAll('#viewer-scores li')].map(li => " \
           "[li.querySelector('.label').textContent, li.querySelector('.value').textContent])"
    wait_until(lambda: [tuple(r) for r in b.js(rows)] == want, 30,
               lambda: f"the viewer's labels {b.js(rows)} are not the API's {want}")
    b.screenshot("viewer-labels")
    texts = ["a red circle", "a blue square"]
    b.find("#viewer-texts").send_keys(", ".join(texts) + "\n")
    body = json.dumps({"id": image["id"], "texts": texts}).encode()
    answer = api_post(server, body, "application/json", "/api/similarity")["texts"]
    want = [(t["text"], f"{t['cosine']:.3f}") for t in
            sorted(answer, key=lambda t: -t["cosine"])]
    wait_until(lambda: [tuple(r) for r in b.js(rows)] == want, 30,
               lambda: f"the viewer's texts {b.js(rows)} are not the API's {want}")
    b.keys("ESCAPE")


# Threshold -1: every picture goes to its best album (the random-weight model's cosines are
# small), so both albums have members.
THEMES = {"threshold": -1, "themes": [
    {"name": "Warm", "keywords": ["a red photo", "an orange photo"]},
    {"name": "Cool", "keywords": ["a blue photo", "a green photo"]}]}


def step_albums(b, server):
    """A theme file run from the page makes albums; the list shows the API's albums with their
    counts and covers, and an album opens on its members best first."""
    b.find("#views [data-view=albums]").click()
    wait_until(lambda: b.visible("#albums-view") and not b.visible("#main"), 10,
               "the albums tab does not show the albums view")
    check(address(b) == {"view": "albums"}, f"the address holds {address(b)}")
    b.find("#albums-view .themes summary").click()
    b.js("document.getElementById('themes').value = arguments[0]", json.dumps(THEMES))
    b.find("#themes-exclusive").click()
    step_job_progress_and_cancel(b, "albums", "#themes-run", "#themes-progress",
                                 "#themes-cancel", "steps (themes, then pictures)")
    b.find("#themes-run").click()
    wait_until(lambda: "classified" in b.text("#themes-outcome"), 60,
               lambda: f"the theme file's outcome says {b.text('#themes-outcome')!r}")
    albums = api_get(server, "/api/albums")["albums"]
    check(sorted(a["name"] for a in albums) == ["Cool", "Warm"] and
          sum(a["count"] for a in albums) == 72, f"the API has albums {albums}")
    outcome = b.text("#themes-outcome")
    check(all(f"{a['name']} {a['count']}" in outcome for a in albums),
          f"the outcome {outcome!r} is not the job's albums {albums}")
    expect_job_requests(b, "POST /api/albums")
    tiles = "return [...document.querySelectorAll('#album-list .album')].map(t => " \
            "[t.dataset.name, t.querySelector('.album-count').textContent])"
    want = [[a["name"], f"{a['count']} pictures"] for a in albums]
    wait_until(lambda: b.js(tiles) == want, 30,
               lambda: f"the album list shows {b.js(tiles)}, the API {want}")
    biggest = max(albums, key=lambda a: a["count"])
    covers = f"#album-list .album[data-name={biggest['name']}] .covers img"
    wait_until(lambda: b.js(f"return [...document.querySelectorAll('{covers}')]"
                            ".filter(i => i.complete && i.naturalWidth > 0).length")
               == min(4, biggest["count"]), 30, "the album's covers did not load")
    b.screenshot("albums")
    b.find(f"#album-list .album[data-name={biggest['name']}] button").click()
    members = api_get(server, f"/api/albums/{biggest['name']}?k={PAGE}")
    grid = "return [...document.querySelectorAll('#album-grid .card')].map(c => Number(c.dataset.id))"
    wait_until(lambda: b.js(grid) == ids(members), 30,
               lambda: f"the album shows {b.js(grid)}, the API {ids(members)}")
    check(address(b) == {"view": "albums", "album": biggest["name"]},
          f"the address holds {address(b)}")
    b.screenshot("album-open")
    b.find("#album-grid .card:nth-child(2) .thumb").click()
    b.expect_viewer(members["results"][1], None)
    b.keys("ESCAPE")
    b.find("#album-back").click()
    wait_until(lambda: b.visible("#album-list"), 10, "'All albums' does not go back")


def step_job_progress_and_cancel(b, kind, run, bar, cancel, unit):
    """A job's progress shows while it runs, and Cancel stops it on the server (DELETE) and
    gives the controls back. The polls are held at 1 of 4 (hold_jobs): the server's own job
    ends too fast to watch."""
    b.hold_jobs(kind, {"done": 1, "total": 4})
    b.find(run).click()
    wait_until(lambda: b.text(bar + "-text") == f"1 of 4 {unit}", 30,
               lambda: f"the {kind} job's progress says {b.text(bar + '-text')!r}")
    check(b.js(f"const p = document.querySelector('{bar}'); return [p.value, p.max]") == [1, 4]
          and b.visible(cancel), f"the {kind} job's progress bar or Cancel is not shown")
    b.screenshot(f"{kind}-progress")
    b.find(cancel).click()
    wait_until(lambda: not b.visible(cancel) and not b.visible(bar), 30,
               f"the {kind} job's Cancel did not end it")
    b.release_jobs()
    started = [r for r in b.requests("/api/jobs") if r == "POST /api/jobs"]
    deleted = [r for r in b.requests("/api/jobs/") if r.startswith("DELETE ")]
    check(started and deleted, f"Cancel sent {b.requests('/api/jobs')}")
    check("Cancelled" in b.text("#themes-outcome" if kind == "albums" else "#dup-message"),
          f"the {kind} view does not say it was cancelled")


def expect_job_requests(b, old_request):
    """The view ran its work as a job (started, polled, forgotten), not with the old request."""
    jobs = b.requests("/api/jobs")
    check("POST /api/jobs" in jobs and any(r.startswith("GET /api/jobs/") for r in jobs)
          and any(r.startswith("DELETE /api/jobs/") for r in jobs),
          f"the page's job requests: {jobs}")
    check(old_request not in b.requests(old_request.split(" ")[1]),
          f"the page still sends {old_request}")


def dup_groups(b):
    return b.js("return [...document.querySelectorAll('#dup-groups .dup-group')].map(g => "
                "[...g.querySelectorAll('.dup')].map(d => Number(d.dataset.id)))")


def step_duplicates(b, server):
    """Near-duplicate groups at the chosen threshold, as the API groups them, found by a job
    whose progress shows and which can be cancelled, with sizes and dimensions; paths can be
    copied; nothing offers to delete."""
    b.find("#views [data-view=duplicates]").click()
    wait_until(lambda: not b.visible("#dup-cancel"), 60, "the first scan never ended")
    set_control(b, "#dup-threshold", "0.95")
    step_job_progress_and_cancel(b, "duplicates", "#dup-find", "#dup-progress", "#dup-cancel",
                                 "blocks")
    b.find("#dup-find").click()
    for threshold in ("0.95", "0.99"):
        if threshold != "0.95":
            set_control(b, "#dup-threshold", threshold)
            b.find("#dup-find").click()
        groups = api_get(server, f"/api/duplicates?threshold={threshold}")["groups"]
        want = [[r["id"] for r in g["images"]] for g in groups]
        check(want, f"the API finds no duplicates at {threshold} in a library copied twice")
        wait_until(lambda: dup_groups(b) == want, 60,
                   lambda: f"at {threshold} the page groups {dup_groups(b)[:3]}..., "
                           f"the API {want[:3]}...")
    # A job that has ended by the time POST answers (a small library on a fast server): the
    # page still reads its result.
    b.end_jobs_before_answer()
    set_control(b, "#dup-threshold", "0.95")
    b.find("#dup-find").click()
    want95 = [[r["id"] for r in g["images"]]
              for g in api_get(server, "/api/duplicates?threshold=0.95")["groups"]]
    wait_until(lambda: dup_groups(b) == want95, 60,
               lambda: f"a job ended before its POST answered: the page shows "
                       f"{b.text('#dup-message')!r}, groups {dup_groups(b)[:3]}...")
    b.end_jobs_before_answer(False)
    set_control(b, "#dup-threshold", "0.99")
    b.find("#dup-find").click()
    wait_until(lambda: dup_groups(b) == want, 60, "the 0.99 groups did not come back")
    check(address(b) == {"view": "duplicates", "threshold": "0.99"},
          f"the address holds {address(b)}")
    expect_job_requests(b, "GET /api/duplicates")
    first = groups[0]["images"][0]
    facts = b.text("#dup-groups .dup-group:nth-child(1) .dup:nth-child(1) .dup-facts")
    check(f"{first['width']}×{first['height']}" in facts and first["format"] in facts,
          f"a duplicate's facts say {facts!r} for {first}")
    check(not b.js("return [...document.querySelectorAll('#duplicates-view button')]"
                   ".some(e => /delete|remove/i.test(e.textContent))"),
          "the duplicates view offers to delete")
    b.screenshot("duplicates")
    b.find("#dup-groups .dup-group:nth-child(1) .copy").click()
    paths = "\n".join(r["path"] for r in groups[0]["images"])
    wait_until(lambda: b.js("const g = document.querySelector('#dup-groups .dup-group');"
                            "const box = g.querySelector('.copy-box');"
                            "return box ? box.value : g.querySelector('.copy').textContent")
               in (paths, "Copied"), 10, "'Copy paths' neither copied nor showed the paths")


def step_status(b, server, n_images):
    """What is indexed, by type; what failed, with the errors; model and precision; a rescan
    and its outcome."""
    b.find("#views [data-view=status]").click()
    status = api_get(server, "/api/status")
    facts = "return Object.fromEntries([...document.querySelectorAll('#status-facts dt')]" \
            ".map(dt => [dt.textContent, dt.nextElementSibling.textContent]))"
    wait_until(lambda: b.js(facts).get("Indexed") == str(n_images), 30,
               lambda: f"the status view says {b.js(facts)}")
    shown = b.js(facts)
    check(shown["Failed"] == str(status["errors"]) and shown["Precision"] == status["precision"]
          and shown["Model"] == status["model"], f"the status view says {shown}, the API {status}")
    failures = b.js("return [...document.querySelectorAll('#status-failures li')].map(li => "
                    "[li.querySelector('.failure-path').textContent, "
                    "li.querySelector('.failure-error').textContent])")
    check(failures == [[f["path"], f["error"]] for f in status["failures"]] and failures,
          f"the failures shown {failures} are not the API's {status['failures']}")
    kinds = b.js("return [...document.querySelectorAll('#status-kinds li')].map(l => l.textContent)")
    check(kinds == [f"{k['format']}: {k['items']}" for k in status["kinds"]],
          f"the types shown {kinds}")
    b.find("#rescan").click()
    wait_until(lambda: b.js(facts).get("Last rescan", "").startswith("ok"), 60,
               lambda: f"the rescan's outcome: {b.js(facts).get('Last rescan')!r}, "
                       f"{b.text('#rescan-text')!r}")
    check(api_get(server, "/api/status")["indexing"]["runs"] == 1, "the page started no rescan")
    b.screenshot("status")


def step_views_on_a_phone(b, server):
    """Each view fits a phone's width."""
    for name, hash_ in [("phone-filters", {"q": TEXT, "type": "png", "sort": "date"}),
                        ("phone-albums", {"view": "albums"}),
                        ("phone-duplicates", {"view": "duplicates", "threshold": "0.99"}),
                        ("phone-status", {"view": "status"})]:
        b.open(server.url + "/#" + urllib.parse.urlencode(hash_))
        if "q" in hash_:
            expect_results(b, api_text(server, TEXT, type="png", sort="date"), name)
            open_filters(b)
        else:
            view = hash_["view"]
            loaded = {"albums": "#album-list .covers img", "duplicates": "#dup-groups .dup img",
                      "status": "#status-facts dt"}[view]
            # Loaded with its pictures: their own sizes must not widen the page.
            wait_until(lambda: b.js(f"const e = [...document.querySelectorAll('{loaded}')];"
                                    "return e.length > 0 && e.every(i => i.tagName !== 'IMG' ||"
                                    " (i.complete && i.naturalWidth > 0) ||"
                                    " i.getBoundingClientRect().top > innerHeight)"),
                       30, f"{name}: the view did not load")
        b.expect_no_horizontal_overflow(name)
        b.screenshot(name)

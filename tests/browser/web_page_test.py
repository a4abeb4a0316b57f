#!/usr/bin/env python3
"""The web page in a real browser: headless Chromium (Debian's chromium + chromedriver, driven by
Selenium) against `clipsearch serve` over an index of the search reference library.

Each step drives the page as a person would (typing, the file picker, a dropped and a pasted
picture, clicks, the keyboard, a phone-sized screen) and checks what the page shows against the
server's own API answer for the same query, fetched here independently. The browser log must
hold no errors (a Content-Security-Policy violation is one) beyond the failed requests that a
step provokes on purpose. Screenshots go to $CLIPSEARCH_ARTIFACTS_DIR (build/test-artifacts/).

Environment: CLIPSEARCH_BINARY (the CLI), CLIPSEARCH_REFERENCE_DIR (the search_reference fixture),
CLIPSEARCH_ARTIFACTS_DIR; the ffmpeg CLI makes the video. A missing chromium or chromedriver is a failure, not a skip.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_session import Browser, StepFailed, check, wait_until  # noqa: E402
from serve_process import ServeProcess, index_library  # noqa: E402
from api_answers import (PAGE, api_get, api_image, api_like, api_text,  # noqa: E402
                         expect_results, format_bytes, ids)
import view_steps  # noqa: E402

REF = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "search")
LIBRARY = os.path.join(REF, "library")
ARTIFACTS = os.environ.get("CLIPSEARCH_ARTIFACTS_DIR", "build/test-artifacts")


def step_idle(b, server, n_images):
    b.open(server.url + "/")
    wait_until(lambda: f"{n_images} images" in b.text("#status"), 30,
               lambda: f"status line says {b.text('#status')!r}, expected {n_images} images")
    check(b.state() == "idle", f"a fresh page is in state {b.state()!r}, not idle")
    check(b.active_id() == "q", "the search box has the focus on load")
    b.screenshot("desktop-idle")


def step_text_search(b, server):
    text = "a red circle on blue"
    b.record_states()
    box = b.find("#q")
    for key in text:  # at a brisk typist's pace, 60 ms a key
        box.send_keys(key)
        time.sleep(0.06)
    expect_results(b, api_text(server, text), "typed query")
    requests = b.search_requests()
    check(requests, "typing sent no search request")
    check(len(requests) <= len(text) / 4,
          f"as-you-type search is not debounced: {len(requests)} requests for {len(text)} keys")
    print(f"     {len(requests)} search request(s) for {len(text)} keys")
    last = urllib.parse.parse_qs(urllib.parse.urlparse(requests[-1]).query)
    check(last.get("q") == [text], f"the last request asked {last}, not the whole text")
    states = b.recorded_states()
    check("loading" in states and states.index("loading") < states.index("results"),
          f"no loading state before the results: {states}")
    check(b.js("return location.hash") == "#" + urllib.parse.urlencode({"q": text}),
          "the address does not keep the query")
    b.screenshot("desktop-results")
    b.expect_accessible_names("results")
    # The library holds more than a page: the rest pages in as the grid scrolls to its end.
    b.js("window.scrollTo(0, document.body.scrollHeight)")
    rest = api_text(server, text, offset=PAGE)
    want = ids(api_text(server, text)) + ids(rest)
    wait_until(lambda: b.grid_ids() == want, 30,
               lambda: f"scrolled to the end: grid shows {len(b.grid_ids())} ids, "
                       f"expected {len(want)}")
    offsets = [urllib.parse.parse_qs(urllib.parse.urlparse(u).query).get("offset")
               for u in b.search_requests()]
    check(["48"] in offsets, f"no request for the second page (offset=48): {offsets}")
    check(not b.visible("#more"), "'More results' stays after the last page")
    b.js("window.scrollTo(0, 0)")


# What a pinyin input method does in the box while "红色的圆" is typed: provisional Latin text,
# then characters replacing it, all inside one composition.
COMPOSITION = ["h", "ho", "hon", "hong", "红", "红s", "红se", "红色", "红色d", "红色de", "红色的",
               "红色的y", "红色的yu", "红色的yua", "红色的yuan", "红色的圆"]


def step_input_method(b, server):
    """Composition events as an input method sends them: no search while composing (each
    provisional value would otherwise be one), exactly one with the final text after
    compositionend; Enter that picks a candidate submits nothing; CJK text gets CJK fonts and
    is not marked English."""
    text = COMPOSITION[-1]
    b.record_states()
    b.find("#q").click()
    b.js("""
      const q = document.getElementById('q');
      q.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true, data: ''}));""")
    for value in COMPOSITION:  # at a typist's pace, 60 ms a key
        b.js("""
          const [value] = arguments;
          const q = document.getElementById('q');
          q.dispatchEvent(new CompositionEvent('compositionupdate', {bubbles: true, data: value}));
          q.value = value;
          q.dispatchEvent(new InputEvent('input', {bubbles: true, isComposing: true, data: value,
                                                   inputType: 'insertCompositionText'}));""",
             value)
        time.sleep(0.06)
    # The candidate is picked with Enter: its keydown must not submit the form.
    prevented = b.js("""
      const e = new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', bubbles: true,
                                              cancelable: true, isComposing: true});
      document.getElementById('q').dispatchEvent(e);
      return e.defaultPrevented""")
    check(prevented, "Enter during composition is not held back (it would submit the form)")
    b.js("document.getElementById('search-form').requestSubmit()")  # as an implicit submission
    time.sleep(1.0)  # four times the page's debounce
    requests = b.search_requests()
    check(not requests, f"searches sent while composing: {requests}")
    check(b.state() == "idle", f"the page left the idle state while composing: {b.state()!r}")
    b.js("""
      const q = document.getElementById('q');
      q.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: arguments[0]}));""",
         text)
    expect_results(b, api_text(server, text), "text from an input method")
    time.sleep(1.0)  # nothing more comes
    requests = b.search_requests()
    check(len(requests) == 1, f"{len(requests)} search requests after one composition: {requests}")
    asked = urllib.parse.parse_qs(urllib.parse.urlparse(requests[0]).query)
    check(asked.get("q") == [text], f"the request asked {asked}, not {text!r}")
    # CJK faces in the page's and the box's font list; user text not declared English.
    fonts = b.js("return getComputedStyle(document.getElementById('q')).fontFamily")
    for face in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"):
        check(face in fonts, f"the search box's fonts {fonts!r} lack {face!r}")
    langs = b.js("return [document.getElementById('q').lang, "
                 "document.querySelector('#results .card .name').lang]")
    check(langs == ["", ""], f"query and file names are marked lang={langs}, not unknown ('')")
    b.screenshot("desktop-input-method")
    # Back to an empty box and the idle page for the steps after this one.
    b.js("""
      const q = document.getElementById('q');
      q.value = '';
      q.dispatchEvent(new InputEvent('input', {bubbles: true}));""")
    b.wait_state("idle", "the box emptied")


def step_keyboard_and_viewer(b, server):
    answer = api_text(server, b.find("#q").get_attribute("value"))
    results = answer["results"]
    b.find("#q").click()
    cols = b.js("const c = [...document.querySelectorAll('#results .card')];"
                "return c.filter(x => x.offsetTop === c[0].offsetTop).length")
    check(1 < cols < len(results) - 2, f"{cols} columns for {len(results)} results")
    for key, card in [("ARROW_DOWN", 0), ("ARROW_RIGHT", 1), ("ARROW_DOWN", 1 + cols),
                      ("ARROW_LEFT", cols)]:
        b.keys(key)
        b.wait_focused_card(card, key)
    at = cols
    b.keys("ENTER")
    b.expect_viewer(results[at], format_bytes(results[at]["size"]))
    b.screenshot("desktop-viewer")
    b.keys("ARROW_RIGHT")
    b.expect_viewer(results[at + 1], format_bytes(results[at + 1]["size"]))
    b.keys("ESCAPE")
    wait_until(lambda: not b.js("return document.getElementById('viewer').open"), 10,
               "Escape did not close the viewer")
    b.wait_focused_card(at + 1, "Escape from the viewer (the card last viewed)")
    b.keys("/")
    wait_until(lambda: b.active_id() == "q", 10, "'/' does not focus the search box")


def step_more_like_this(b, server):
    first = b.grid_ids()
    card = 2
    like_id = first[card]
    b.find(f"#results .card:nth-child({card + 1}) .like").click()
    answer = api_like(server, like_id)
    check(like_id not in ids(answer), "the API's 'like' answer holds the image itself")
    expect_results(b, answer, f"more like image {like_id}")
    check(b.grid_ids() != first, "'more like this' left the results unchanged")
    check(b.js("return location.hash") == f"#like={like_id}", "the address does not keep 'like'")
    check(b.visible("#query-image"), "the query bar does not show the 'like' picture")
    check(b.find("#q").get_attribute("value") == "", "the search box keeps the old text")
    # The same from the keyboard: M on a focused card.
    b.find("#results .card:nth-child(1) .thumb").send_keys("m")
    expect_results(b, api_like(server, ids(answer)[0]), "M on the first card")


def step_file_picker(b, server):
    path = os.path.join(LIBRARY, "photo_02.png")
    want = api_image(server, path)  # first: see api_image_first
    b.find("#file").send_keys(os.path.abspath(path))
    expect_results(b, want, "picture from the file picker")
    wait_until(lambda: "photo_02.png" in b.text("#query-label"), 10,
               lambda: f"the query bar says {b.text('#query-label')!r}")


def dispatch_file(b, path, events):
    """Synthetic drag events or a paste carrying the file's bytes (what a real drag or Ctrl+V
    delivers)."""
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    mime = "image/jpeg" if path.endswith(".jpg") else "image/png"
    b.js("""
      const [data, name, mime, events] = arguments;
      const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, {type: mime}));
      for (const type of events) {
        const init = {bubbles: true, cancelable: true};
        document.body.dispatchEvent(type === 'paste'
            ? new ClipboardEvent(type, {...init, clipboardData: dt})
            : new DragEvent(type, {...init, dataTransfer: dt}));
      }""", data, os.path.basename(path), mime, events)


def step_drop_and_paste(b, server):
    dropped = os.path.join(LIBRARY, "beach trip", "photo_03.jpg")
    dispatch_file(b, dropped, ["dragenter", "dragover"])
    check(b.visible("#drop"), "dragging a file over the page shows no drop target")
    b.screenshot("desktop-drop")
    want = api_image(server, dropped)
    dispatch_file(b, dropped, ["drop"])
    expect_results(b, want, "dropped picture")
    check(not b.visible("#drop"), "the drop overlay stays after the drop")
    pasted = os.path.join(LIBRARY, "photo_10.png")
    want = api_image(server, pasted)
    dispatch_file(b, pasted, ["paste"])
    expect_results(b, want, "pasted picture")


def step_error(b):
    b.find("#file").send_keys(os.path.abspath(os.path.join(LIBRARY, "not_an_image.png")))
    b.wait_state("error", "a broken upload")
    message = b.text("#message-text")
    check("uploaded image" in message, f"the error does not say what failed: {message!r}")
    check(b.visible("#retry"), "the error state offers no retry")
    b.screenshot("desktop-error")
    b.expect_console_errors_only("422")
    b.find("#clear-image").click()


def step_phone(b, server):
    b.phone()
    text = "a green square"
    b.open(server.url + "/#" + urllib.parse.urlencode({"q": text}))
    expect_results(b, api_text(server, text), "phone, query from the address")
    b.expect_no_horizontal_overflow("phone results")
    b.screenshot("phone-results")
    b.find("#results .card:nth-child(1) .thumb").click()
    b.expect_viewer(api_text(server, text)["results"][0], None)
    b.expect_no_horizontal_overflow("phone viewer")
    b.screenshot("phone-viewer")
    b.find("#viewer-close").click()


def step_token(b, server, token):
    """A server with a token: the page asks for it, then sends it (pictures come as blobs)."""
    text = "a yellow triangle"
    b.open(server.url + "/#" + urllib.parse.urlencode({"q": text}))
    wait_until(lambda: b.visible("#token-form"), 30, "the page does not ask for the token")
    b.wait_state("error", "a search without the token")
    b.expect_console_errors_only("401")
    b.find("#token").send_keys(token + "\n")
    answer = api_get(server, "/api/search?" + urllib.parse.urlencode({"q": text, "k": PAGE}),
                     {"Authorization": "Bearer " + token})
    expect_results(b, answer, "search with the token")
    check(not b.visible("#token-form"), "the token form stays")
    srcs = b.js("return [...document.querySelectorAll('#results .thumb img')].map(i => i.src)")
    check(all(s.startswith("blob:") for s in srcs if s), f"thumbnails not fetched as blobs: {srcs[:3]}")


def make_video_library(folder):
    """A WebM of four flat-colour scenes, a second each (VP9: every Chromium plays it), made by
    the ffmpeg CLI, beside one photo; and the picture of the third scene, to search with."""
    os.makedirs(folder)
    ff = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    scenes = ["0xff0000", "0x00ff00", "0x0000ff", "0xffff00"]
    inputs = []
    for c in scenes:
        inputs += ["-f", "lavfi", "-i", f"color=c={c}:s=64x48:r=10:d=1"]
    graph = "".join(f"[{i}:v]" for i in range(4)) + "concat=n=4:v=1:a=0[v]"
    subprocess.run(ff + inputs + ["-filter_complex", graph, "-map", "[v]", "-c:v", "libvpx-vp9",
                                  "-b:v", "200k", os.path.join(folder, "scenes.webm")], check=True)
    shutil.copy(os.path.join(LIBRARY, "photo_02.png"), folder)
    # A TIFF, which browsers do not show: the viewer shows the server's JPEG of it.
    from PIL import Image
    Image.open(os.path.join(LIBRARY, "photo_02.png")).convert("RGB").rotate(90, expand=True).save(
        os.path.join(folder, "scan.tif"))
    query = os.path.join(os.path.dirname(folder), "blue.png")
    subprocess.run(ff + ["-f", "lavfi", "-i", "color=c=0x0000ff:s=64x48", "-frames:v", "1", query],
                   check=True)
    return query


def step_video(b, video_server, query):
    b.open(video_server.url + "/")
    want = api_image(video_server, query)  # first: see api_image_first
    top = want["results"][0]
    check(top["path"].endswith("scenes.webm") and top["time"] == 2.5,
          f"the API answers {top} for the third scene's picture")
    b.find("#file").send_keys(os.path.abspath(query))
    expect_results(b, want, "the picture of a video's scene")
    badge = b.text("#results .card:nth-child(1) .badge")
    check("0:02" in badge, f"the video's badge says {badge!r}")
    b.find("#results .card:nth-child(1) .thumb").click()
    wait_until(lambda: b.visible("#viewer-video"), 10, "the viewer shows no video")
    check(not b.visible("#viewer-img"), "the viewer shows a picture for a video")
    # Playing from the best frame's time (the server's byte ranges let the browser seek there).
    wait_until(lambda: b.js("const v = document.getElementById('viewer-video');"
                            "return v.currentTime >= 2.5 && v.readyState >= 2"), 20,
               lambda: "the video is at " + str(b.js(
                   "return document.getElementById('viewer-video').currentTime")))
    b.screenshot("video-viewer")
    b.keys("ESCAPE")
    wait_until(lambda: b.js("return document.getElementById('viewer-video').paused"), 10,
               "closing the viewer leaves the video playing")
    # The TIFF beside it: the viewer shows a picture the browser could decode.
    b.open(video_server.url + "/")
    b.find("#q").send_keys("a scan")
    wait_until(lambda: len(b.grid_ids()) == 3, 20, "the video library's three items")
    index = next(i for i, r in enumerate(api_text(video_server, "a scan")["results"], 1)
                 if r["path"].endswith("scan.tif"))
    b.find(f"#results .card:nth-child({index}) .thumb").click()
    wait_until(lambda: b.js("const i = document.getElementById('viewer-img');"
                            "return i.complete && i.naturalWidth > 0"), 20,
               "the viewer shows nothing for a TIFF")
    b.screenshot("tiff-viewer")
    b.keys("ESCAPE")


def step_empty_library(b, empty_server):
    b.open(empty_server.url + "/")
    wait_until(lambda: "0 images" in b.text("#status"), 30,
               lambda: f"status line says {b.text('#status')!r} for an empty library")
    b.wait_state("empty", "an empty library")
    check("library is empty" in b.text("#message-text"), "the empty state does not say why")
    b.record_states()
    b.find("#q").send_keys("anything")
    wait_until(lambda: "loading" in b.recorded_states(), 30,
               "a search in an empty library: it never started")
    b.wait_state("empty", "a search in an empty library")
    check(b.grid_ids() == [], "an empty library shows results")
    b.screenshot("phone-empty")


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    binary = os.environ.get("CLIPSEARCH_BINARY", "build/src/cli/clipsearch")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        # Two copies of the reference library: more than a page of results.
        library = os.path.join(tmp, "library")
        for copy in ("a", "b"):
            shutil.copytree(LIBRARY, os.path.join(library, copy))
        n_images = 2 * len(json.load(open(os.path.join(REF, "embeddings.json"))))
        db = index_library(binary, library, os.path.join(tmp, "index.db"), REF + "/model")
        os.makedirs(os.path.join(tmp, "empty"))
        empty_db = index_library(binary, os.path.join(tmp, "empty"),
                                 os.path.join(tmp, "empty.db"), REF + "/model")
        video_query = make_video_library(os.path.join(tmp, "videos"))
        video_db = index_library(binary, os.path.join(tmp, "videos"),
                                 os.path.join(tmp, "videos.db"), REF + "/model")
        token = "browser-test-token"
        with ServeProcess(binary, db, tmp) as server, \
                ServeProcess(binary, empty_db, tmp) as empty_server, \
                ServeProcess(binary, db, tmp, ["--token", token]) as token_server, \
                ServeProcess(binary, video_db, tmp) as video_server, \
                Browser(ARTIFACTS) as b:
            steps = [
                ("idle page", lambda: step_idle(b, server, n_images)),
                ("input method", lambda: step_input_method(b, server)),
                ("text search", lambda: step_text_search(b, server)),
                ("keyboard and viewer", lambda: step_keyboard_and_viewer(b, server)),
                ("more like this", lambda: step_more_like_this(b, server)),
                ("file picker", lambda: step_file_picker(b, server)),
                ("drop and paste", lambda: step_drop_and_paste(b, server)),
                ("error state", lambda: step_error(b)),
                ("filters and the address", lambda: view_steps.step_filters(b, server)),
                ("colour", lambda: view_steps.step_colour(b, server)),
                ("labels and texts", lambda: view_steps.step_labels_and_texts(b, server)),
                ("albums", lambda: view_steps.step_albums(b, server)),
                ("duplicates", lambda: view_steps.step_duplicates(b, server)),
                ("status and rescan", lambda: view_steps.step_status(b, server, n_images)),
                ("phone", lambda: step_phone(b, server)),
                ("views on a phone", lambda: view_steps.step_views_on_a_phone(b, server)),
                ("video", lambda: step_video(b, video_server, video_query)),
                ("empty library", lambda: step_empty_library(b, empty_server)),
                ("access token", lambda: step_token(b, token_server, token)),
            ]
            for name, run in steps:
                t = time.monotonic()
                try:
                    run()
                    b.expect_no_console_errors()
                except StepFailed as e:
                    b.screenshot("failure")
                    print(f"FAIL {name}: {e}\nserver log:\n{server.log()}", file=sys.stderr)
                    return 1
                print(f"ok   {name} ({time.monotonic() - t:.1f} s)")
    print(f"all steps passed in {time.monotonic() - started:.1f} s; screenshots in {ARTIFACTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

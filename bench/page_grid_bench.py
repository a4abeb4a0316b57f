"""The web page's grid with 10,000 results, in headless Chromium (tests/browser's session):
cards made by web/js/cards.js and appended 48 at a time with a layout after each, as the page
pages in; with the page's `content-visibility: auto` on the cards and without it (the rule
deleted), 3 runs each. Prints the time to append all 10,000, the last page's append + layout
at 10,000 cards (what a reader waits for as the grid scrolls), and a scroll step's layout.

    CLIPSEARCH_BINARY=build/src/cli/clipsearch CLIPSEARCH_REFERENCE_DIR=build/reference \
        .venv/bin/python bench/page_grid_bench.py
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "browser"))
from browser_session import Browser  # noqa: E402
from serve_process import ServeProcess, index_library  # noqa: E402

REF = os.path.join(os.environ.get("CLIPSEARCH_REFERENCE_DIR", "build/reference"), "search")
BIN = os.environ.get("CLIPSEARCH_BINARY", "build/src/cli/clipsearch")
with tempfile.TemporaryDirectory() as tmp:
    db = index_library(BIN, REF + "/library", os.path.join(tmp, "i.db"), REF + "/model")
    with ServeProcess(BIN, db, tmp) as server, Browser(tmp) as b:
        b.driver.set_script_timeout(900)
        b.open(server.url + "/")
        for css in ("on", "off"):
            runs = []
            for rep in range(3):  # min/median of 3
                b.open(server.url + "/")
                r = b.driver.execute_async_script("""
                  const [css, done] = arguments;
                  import('/js/cards.js').then(({card}) => {
                    const grid = document.getElementById('results');
                    if (css === 'off') for (const s of document.styleSheets) {
                      for (let i = s.cssRules.length - 1; i >= 0; i--)
                        if (s.cssRules[i].cssText.includes('content-visibility')) s.deleteRule(i);
                    }
                    document.getElementById('main').dataset.state = 'results';
                    const t0 = performance.now();
                    let last = 0;
                    for (let p = 0; p < 10000; p += 48) {
                      const ps = performance.now();
                      const f = document.createDocumentFragment();
                      for (let i = p; i < Math.min(p + 48, 10000); i++)
                        f.appendChild(card({id: 1 + i % 36, path: '/x/p' + i + '.jpg', score: 0.3,
                                            width: 100, height: 80, size: 1000}, i, {}));
                      grid.appendChild(f);
                      grid.offsetHeight;  // layout after each page, as the browser would
                      last = performance.now() - ps;
                    }
                    const t1 = performance.now();
                    let steps = [];
                    for (let y = 0; y < 20; y++) {
                      const s = performance.now();
                      window.scrollTo(0, document.body.scrollHeight * y / 20);
                      document.body.offsetHeight;
                      steps.push(performance.now() - s);
                    }
                    steps.sort((a, b) => a - b);
                    done([t1 - t0, steps[10], steps[19], grid.children.length, last]);
                  });""", css)
                runs.append(r)
            appends = sorted(r[0] for r in runs)
            print(json.dumps({"content_visibility": css, "append_10k_ms_min": round(appends[0]),
                              "append_10k_ms_median": round(appends[1]),
                              "scroll_step_ms_median": round(sorted(r[1] for r in runs)[1], 1),
                              "last_page_ms_median": round(sorted(r[4] for r in runs)[1], 1),
                              "cards": runs[0][3]}))

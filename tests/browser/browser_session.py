"""Headless Chromium through Selenium and chromedriver, with the waits and checks the page test
uses. Every wait is explicit and generous (a loaded 2-core machine); a failed check raises
StepFailed with a message that says what the page showed."""
import os
import shutil
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

WAIT_S = 30

# Runs in every page before its own scripts (outside the page's CSP): records CSP violations
# (the console shows them too; this names the blocked thing) and every fetch() the page starts,
# aborted ones included (the Resource Timing list leaves those out).
RECORD_PAGE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline code')));
window.__fetches = [];
window.__requests = [];
window.__jobHold = null;
window.__jobsEndFirst = false;
const pageFetch = window.fetch;
window.fetch = function (input, init) {
  const url = String(input instanceof Request ? input.url : input);
  const method = (init && init.method) || 'GET';
  window.__fetches.push(url);
  window.__requests.push(method + ' ' + new URL(url, location.href).pathname);
  // A test holding jobs (hold_jobs) sees every poll answered "running" at its progress, so the
  // page's progress and its Cancel can be watched however fast the server's job is.
  const job = url.match(/\/api\/jobs\/([0-9a-f]{16})$/);
  if (window.__jobHold && job && method === 'GET') {
    const body = {id: job[1], kind: window.__jobHold.kind, params: {}, state: 'running',
                  progress: window.__jobHold.progress, elapsed_ms: 1};
    return Promise.resolve(new Response(JSON.stringify(body),
                                        {headers: {'Content-Type': 'application/json'}}));
  }
  // ... and its start answered "running" too: a fast server's job can end before POST answers.
  if (window.__jobHold && method === 'POST' && url.endsWith('/api/jobs')) {
    const hold = window.__jobHold;
    return pageFetch.apply(this, arguments).then(async (posted) => {
      if (!posted.ok) return posted;
      const body = Object.assign(await posted.json(), {state: 'running', progress: hold.progress});
      delete body.result;
      return new Response(JSON.stringify(body),
                          {status: posted.status, headers: {'Content-Type': 'application/json'}});
    });
  }
  // A test ending jobs early (end_jobs_before_answer) has POST /api/jobs answered only once
  // the job has ended on the server, as that answer looks then (state "done", no result):
  // what a short job gives a page on a fast server.
  if (window.__jobsEndFirst && method === 'POST' && url.endsWith('/api/jobs')) {
    return pageFetch.apply(this, arguments).then(async (posted) => {
      const job = await posted.json();
      let now = job;
      while (now.state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 20));
        now = await (await pageFetch(url + '/' + job.id)).json();
      }
      const body = Object.assign({}, job, {state: now.state, progress: now.progress});
      return new Response(JSON.stringify(body),
                          {status: posted.status, headers: {'Content-Type': 'application/json'}});
    });
  }
  return pageFetch.apply(this, arguments);
};
"""


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message() if callable(message) else message)


def wait_until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except WebDriverException:
            pass  # e.g. an element replaced while it was read: ask again
        if time.monotonic() > deadline:
            raise StepFailed(message() if callable(message) else message)
        time.sleep(0.05)


def find_program(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.isabs(name) and os.path.exists(name) else None)
        if path:
            return path
    raise RuntimeError(f"{names[0]} not found: the browser test needs Debian's chromium and "
                       "chromium-driver (scripts/setup.sh installs them)")


class Browser:
    def __init__(self, artifacts, size=(1280, 900)):
        self.artifacts = artifacts
        options = webdriver.ChromeOptions()
        options.binary_location = find_program("chromium", "chromium-browser")
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--disable-extensions", "--no-first-run", "--lang=en-US",
                    f"--window-size={size[0]},{size[1]}"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(find_program("chromedriver", "/usr/lib/chromium/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(WAIT_S)
        self.driver.set_script_timeout(WAIT_S)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": RECORD_PAGE})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.driver.quit()

    # ---- reading the page ----
    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.find(css).text

    def visible(self, css):
        return self.find(css).is_displayed()

    def state(self):
        return self.find("#main").get_attribute("data-state")

    def active_id(self):
        return self.js("return document.activeElement && document.activeElement.id")

    def grid_ids(self):
        return self.js("return [...document.querySelectorAll('#results .card')]"
                       ".map(c => Number(c.dataset.id))")

    def focused_card(self):
        return self.js("const a = document.activeElement;"
                       "const c = a && a.classList.contains('thumb') && a.closest('.card');"
                       "return c ? Number(c.dataset.index) : null")

    def wait_focused_card(self, index, after):
        wait_until(lambda: self.focused_card() == index, 10,
                   lambda: f"after {after} card {self.focused_card()} has the focus, not {index}")

    def requests(self, path_prefix):
        """'METHOD /path' of every fetch since the page loaded whose path starts so."""
        return self.js("return window.__requests.filter(r => r.split(' ')[1]"
                       ".startsWith(arguments[0]))", path_prefix)

    def hold_jobs(self, kind, progress):
        """POST /api/jobs and the polls of /api/jobs/{id} answer "running" at `progress` until
        release_jobs() (the server's job may have ended before its POST answered)."""
        self.js("window.__jobHold = {kind: arguments[0], progress: arguments[1]}", kind, progress)

    def release_jobs(self):
        self.js("window.__jobHold = null")

    def end_jobs_before_answer(self, on=True):
        """POST /api/jobs answers only after its job ended (without the result, as the server
        answers a POST), until called with on=False."""
        self.js("window.__jobsEndFirst = arguments[0]", on)

    def search_requests(self):
        return self.js("return window.__fetches.filter(u => u.includes('/api/search?'))")

    # ---- acting ----
    def open(self, url):
        """A fresh load (a new URL differing only in its #fragment would not reload)."""
        self.driver.get("about:blank")
        self.driver.get(url)
        wait_until(lambda: self.js("return document.readyState") == "complete", WAIT_S,
                   f"{url} did not finish loading")

    def keys(self, name):
        key = getattr(Keys, name) if name.isupper() else name
        ActionChains(self.driver).send_keys(key).perform()

    def phone(self):
        """An iPhone-12-sized screen with touch, as a phone shows the page."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})

    def screenshot(self, name):
        self.driver.save_screenshot(os.path.join(self.artifacts, name + ".png"))

    # ---- waits and checks ----
    def record_states(self):
        """From now on, every data-state the page passes through is kept (window.__states)."""
        self.js("""
          window.__fetches = [];
          window.__states = [];
          new MutationObserver(() => window.__states.push(
              document.getElementById('main').dataset.state))
            .observe(document.getElementById('main'), {attributes: true,
                                                       attributeFilter: ['data-state']});""")

    def recorded_states(self):
        return self.js("return window.__states || []")

    def wait_state(self, state, what, timeout=WAIT_S):
        wait_until(lambda: self.state() == state, timeout,
                   lambda: f"{what}: the page stays in state {self.state()!r} "
                           f"({self.text('#message-text')!r}), expected {state!r}")

    def wait_thumbnails_loaded(self, what):
        """Every thumbnail in view has arrived and decoded (lazy ones below may wait)."""
        script = """
          const imgs = [...document.querySelectorAll('#results .thumb img')]
            .filter(i => i.getBoundingClientRect().top < innerHeight);
          return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);"""
        wait_until(lambda: self.js(script), WAIT_S, f"{what}: thumbnails did not load")

    def expect_viewer(self, result, size_text):
        """The full-size view is open on `result` (an API result) with its path and size."""
        wait_until(lambda: self.js("return document.getElementById('viewer').open"), WAIT_S,
                   "the full-size view did not open")
        wait_until(lambda: self.text("#viewer-path") == result["path"], WAIT_S,
                   lambda: f"the viewer shows {self.text('#viewer-path')!r}, "
                           f"expected {result['path']!r}")
        info = self.text("#viewer-info")
        dims = f"{result['width']} × {result['height']} px"
        check(dims in info, f"the viewer's info {info!r} lacks {dims!r}")
        check(size_text is None or size_text in info,
              f"the viewer's info {info!r} lacks the size {size_text!r}")
        wait_until(lambda: self.js("const i = document.getElementById('viewer-img');"
                                   "return i.complete && i.naturalWidth") == result["width"],
                   WAIT_S, "the full-size picture did not load at its own width")

    def expect_no_horizontal_overflow(self, what):
        offenders = self.js("""
          const w = document.documentElement.clientWidth;
          return [...document.querySelectorAll('body *')]
            .filter(e => e.getClientRects().length && !e.closest('.visually-hidden'))
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5);""")
        width = self.js("return [document.documentElement.scrollWidth, innerWidth]")
        check(width[0] <= width[1] and not offenders,
              f"{what}: the page is wider than the screen {width}: {offenders}")

    def expect_accessible_names(self, what):
        """Every picture has alt text, every button and field a name a screen reader can say."""
        missing = self.js("""
          const named = e => (e.textContent.trim() || e.getAttribute('aria-label') ||
                              (e.labels && e.labels.length));
          return [...document.images].filter(i => !i.hasAttribute('alt'))
              .concat([...document.querySelectorAll('button, input, a')].filter(e => !named(e)))
              .map(e => e.outerHTML.slice(0, 80));""")
        check(not missing, f"{what}: without alt text or a name: {missing}")

    def console_errors(self):
        errors = [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        return errors + [f"CSP: {v}" for v in self.js("return window.__csp || []")]

    def expect_no_console_errors(self):
        errors = self.console_errors()
        check(not errors, f"the browser log has errors: {errors}")

    def expect_console_errors_only(self, expected):
        """Errors that a step provokes on purpose (a failed request) are allowed, others not."""
        errors = [e for e in self.console_errors() if expected not in e]
        check(not errors, f"the browser log has errors: {errors}")

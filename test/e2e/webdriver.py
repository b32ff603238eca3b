"""webdriver: headless Chromium through Selenium for the browser end-to-end tests (issue 15).

start_browser(tmpdir) starts Chromium headless with a private profile under tmpdir and a fixed
window size; wait_for() waits on a CSS selector (WebDriverWait, never a sleep); screenshot()
saves a PNG into DIR/NAME/ (DIR: PB_ARTIFACTS, else PB_BUILD_DIR/test-artifacts; NAME: the test
file's name, or PB_ARTIFACT_NAME), named after the test running (Class.test_name-NN-step.png,
NN counting the test's screenshots, so none overwrites another). BrowserTestCase quits the
browser at teardown and takes a screenshot of any test that failed. csp_violations() reads the browser console for Content-Security-Policy
reports. Everything is bounded in time: a page that never shows a selector fails the test.
"""
import os
import shutil
import sys
import unittest

try:
    import selenium  # noqa: F401
except ImportError:  # python3-selenium is Debian's: reachable from another interpreter too
    sys.path.append("/usr/lib/python3/dist-packages")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("PB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PB_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1280, 900)
# The sanitizer build on a loaded 2-core machine answers slowly: generous, still bounded.
DEFAULT_TIMEOUT = 10.0


def available():
    """True when Chromium and chromedriver are installed (tests skip otherwise)."""
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def artifact_dir():
    """PB_ARTIFACTS/NAME/ (else PB_BUILD_DIR/test-artifacts/NAME/), created: where screenshots
    are kept (scripts/test.sh sets PB_ARTIFACTS to a directory kept after the run)."""
    build = os.environ.get("PB_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
    root = os.environ.get("PB_ARTIFACTS") or os.path.join(build, "test-artifacts")
    name = os.environ.get("PB_ARTIFACT_NAME") or \
        os.path.splitext(os.path.basename(sys.argv[0] or "e2e"))[0]
    path = os.path.join(root, name)
    os.makedirs(path, exist_ok=True)
    return path


def start_browser(tmpdir):
    """Headless Chromium with a private profile in tmpdir/chromium-profile; the console log
    (level ALL) is kept for csp_violations(). The caller quits it (driver.quit())."""
    profile = os.path.join(tmpdir, "chromium-profile")
    os.makedirs(profile, exist_ok=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
                "--window-size=%d,%d" % WINDOW]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    log = os.path.join(tmpdir, "chromedriver.log")
    # Selenium 4.11 renamed log_path (Debian 12 ships 4.8)
    key = "log_output" if "log_output" in Service.__init__.__code__.co_varnames else "log_path"
    service = Service(executable_path=CHROMEDRIVER, **{key: log})
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


def wait_for(driver, css, timeout=DEFAULT_TIMEOUT):
    """Waits until an element matching css is visible; returns it (TimeoutException otherwise)."""
    return WebDriverWait(driver, timeout).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def wait_gone(driver, css, timeout=DEFAULT_TIMEOUT):
    """Waits until no visible element matches css."""
    WebDriverWait(driver, timeout).until(
        EC.invisibility_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(driver, css, text, timeout=DEFAULT_TIMEOUT):
    """Waits until the element matching css contains text; returns the element."""
    WebDriverWait(driver, timeout).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return driver.find_element(By.CSS_SELECTOR, css)


def wait_until(driver, predicate, timeout=DEFAULT_TIMEOUT, message=""):
    """Waits until predicate(driver) is true; returns its value."""
    return WebDriverWait(driver, timeout).until(predicate, message)


# The test running (begin_test): its screenshots' prefix and how many it has taken.
_running = {"test": None, "shots": 0}


def begin_test(case):
    """Names the screenshots from here on after the test case case (Class.test_name)."""
    _running["test"] = "%s.%s" % (type(case).__name__, case._testMethodName)
    _running["shots"] = 0


def screenshot(driver, name):
    """Saves a PNG of the page as artifact_dir()/TEST-NN-name.png (TEST: the test running, see
    begin_test; NN: its screenshot count; name.png alone outside a test); returns its path."""
    if _running["test"] is not None:
        _running["shots"] += 1
        name = "%s-%02d-%s" % (_running["test"], _running["shots"], name)
    path = os.path.join(artifact_dir(), name + ".png")
    driver.save_screenshot(path)
    return path


def console(driver):
    """The browser console entries since the last call ([] where the driver has no log)."""
    try:
        return driver.get_log("browser")
    except (WebDriverException, AttributeError):
        return []


def csp_violations(entries):
    """The console entries that report a Content-Security-Policy violation."""
    return [e for e in entries if "Content Security Policy" in e.get("message", "")
            or "Content-Security-Policy" in e.get("message", "")]


def browser_per_test(case):
    """Gives the test case `case` its own browser for one test: case.driver, with its profile
    in case.tmp (a TemporaryDirectory the test may also use), quit and removed at the test's
    cleanup; case.wd is this module."""
    import tempfile
    case.wd = sys.modules[__name__]
    begin_test(case)
    case.tmp = tempfile.TemporaryDirectory()
    case.addCleanup(case.tmp.cleanup)
    case.driver = start_browser(case.tmp.name)
    case.addCleanup(case.driver.quit)


class BrowserTestCase(unittest.TestCase):
    """A test case with self.driver (one browser per class, in cls.tmpdir, which the subclass
    sets before calling super().setUpClass()); a failing test leaves FAILED-<test>.png."""

    tmpdir = None

    @classmethod
    def setUpClass(cls):
        cls.driver = start_browser(cls.tmpdir)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        shutil.rmtree(os.path.join(cls.tmpdir, "chromium-profile"), ignore_errors=True)

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        begin_test(self)
        before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            try:
                screenshot(self.driver, "FAILED")
            except WebDriverException:
                pass
        return outcome

"""webdriver: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium for
the e2e browser tests. start_browser(tmpdir) starts one with a private profile under tmpdir;
wait_for(driver, css) waits for an element (WebDriverWait on a condition, never a sleep);
screenshot(driver, name) saves PB_BUILD_DIR/test-artifacts/NAME/NAME-N.png.
(h-webmail's minimal copy; h-admin's is the one kept at merge, with these names.)"""
import itertools
import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BUILD = os.environ.get("PB_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
_shots = itertools.count(1)


def start_browser(tmpdir):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
              "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(tmpdir, "chromium")):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait_for(driver, css, timeout=10):
    return WebDriverWait(driver, timeout).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def screenshot(driver, name):
    d = os.path.join(BUILD, "test-artifacts", name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "%s-%d.png" % (name, next(_shots)))
    driver.save_screenshot(path)
    return path

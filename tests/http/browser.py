"""Drives the web page in headless Chromium (Debian chromium + chromium-driver, selenium):
login, upload through the page's tus client, a refused bundle's reason, a cut + reload that
resumes, and the support view. Prints one JSON object of what it saw; saves a screenshot of
each state into ARTIFACTS.

usage: browser.py URL ARTIFACTS CUSTOMER_TOKEN SUPPORT_TOKEN GOOD BAD BIG"""
import json, os, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

url, artifacts, token, support_token, good, bad, big = sys.argv[1:8]
os.makedirs(artifacts, exist_ok=True)
seen = {}

options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
             "--ignore-certificate-errors", "--window-size=1280,900"):  # init's self-signed cert
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def shot(name):
    driver.save_screenshot(os.path.join(artifacts, name + ".png"))


def wait(condition, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.1)
    return None


def login(user, secret):
    driver.get(url + "/")
    wait("return !document.querySelector('#login').hidden")
    form = driver.find_element(By.ID, "login")
    form.find_element(By.NAME, "user").send_keys(user)
    form.find_element(By.NAME, "password").send_keys(secret)
    form.find_element(By.CSS_SELECTOR, "button").click()
    return wait("return document.querySelector('#who').textContent")


def verdict_of(name):
    return wait(f"""const row = [...document.querySelectorAll('#transfers tbody tr')]
                     .find(r => r.dataset.name === {json.dumps(name)} && r.dataset.verdict);
                   return row && [row.dataset.verdict, row.cells[4].textContent];""", 120)


try:
    driver.get(url + "/")
    wait("return !document.querySelector('#login').hidden")
    shot("1-login")
    seen["wrong_login"] = None
    seen["who"] = login("acme", token)
    shot("2-customer")

    files = driver.find_element(By.ID, "files")
    files.send_keys(good)
    seen["good"] = verdict_of(os.path.basename(good))
    seen["mine"] = wait("return document.querySelector('#mine tbody').textContent")
    shot("3-accepted")

    files.send_keys(bad)
    seen["bad"] = verdict_of(os.path.basename(bad))
    shot("4-refused")

    # A slow link, cut by a reload once a few chunks are acknowledged; then the same file again.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 4_000_000})
    files.send_keys(big)
    name = os.path.basename(big)
    wait(f"""const row = [...document.querySelectorAll('#transfers tbody tr')]
               .find(r => r.dataset.name === {json.dumps(name)});
             return row && row.querySelector('progress').value > 20 * 1024 * 1024;""", 120)
    shot("5-progress")
    seen["progress_text"] = driver.execute_script(
        "return document.querySelector('#transfers tbody tr:last-child').textContent")
    driver.refresh()
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    wait("return !document.querySelector('#customer').hidden")
    driver.find_element(By.ID, "files").send_keys(big)
    seen["resumed_at"] = wait(f"""const row = [...document.querySelectorAll('#transfers tbody tr')]
                                  .find(r => r.dataset.name === {json.dumps(name)});
                                return row && row.dataset.resumedAt;""")
    seen["big"] = verdict_of(name)
    shot("6-resumed")

    driver.find_element(By.ID, "logout").click()
    wait("return !document.querySelector('#login').hidden")
    seen["support_who"] = login("help", support_token)
    seen["bundles"] = wait("return document.querySelector('#bundles tbody').textContent")
    seen["download_links"] = driver.execute_script(
        "return [...document.querySelectorAll('#bundles a')].map(a => a.getAttribute('href'))")
    find = driver.find_element(By.ID, "find")
    find.find_element(By.NAME, "glob").send_keys("*app.log")
    find.find_element(By.CSS_SELECTOR, "button").click()
    seen["members"] = wait("return document.querySelector('#members tbody').textContent")
    shot("7-support")
    driver.set_window_size(390, 844)
    shot("8-support-phone")
    seen["phone_overflow"] = driver.execute_script(
        "return document.documentElement.scrollWidth > window.innerWidth + 1")
finally:
    driver.quit()
print(json.dumps(seen))

"""tus-js-client (npm, tests/http/js) in headless Chromium against the real front end: an
accepted upload, a refused one (its reason reaches onError), and the same refused file again
from its stored fingerprint (the HEAD answers 410: never reported as success). Prints JSON.

usage: browser_tus.py URL TOKEN TUS_JS GOOD BAD"""
import base64, json, sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

url, token, tus_js, good, bad = sys.argv[1:6]
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
             "--ignore-certificate-errors"):  # init's self-signed certificate
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_script_timeout(120)

UPLOAD = """
const [name, b64, token, done] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const file = new File([bytes], name, { type: "application/gzip", lastModified: 1 });
const seen = { progress: 0 };
const upload = new tus.Upload(file, {
  endpoint: "/files/",
  headers: { Authorization: "Bearer " + token },
  metadata: { filename: name, filetype: "application/gzip" },
  chunkSize: 256 * 1024,
  retryDelays: [],
  onProgress: (sent) => { seen.progress = sent; },
  onError: (error) => {
    seen.error = String(error);
    seen.status = error.originalResponse ? error.originalResponse.getStatus() : 0;
    seen.body = error.originalResponse ? error.originalResponse.getBody() : "";
    done(seen);
  },
  onSuccess: () => { seen.success = true; seen.url = upload.url; done(seen); },
});
upload.findPreviousUploads().then((previous) => {
  seen.previous = previous.length;
  if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
  upload.start();
});
"""

seen = {}
try:
    driver.get(url + "/")
    driver.execute_script(open(tus_js).read() + "; window.tus = tus;")
    for key, path in (("good", good), ("bad", bad), ("bad_again", bad)):
        data = base64.b64encode(open(path, "rb").read()).decode()
        seen[key] = driver.execute_async_script(UPLOAD, path.rsplit("/", 1)[-1], data, token)
finally:
    driver.quit()
print(json.dumps(seen))

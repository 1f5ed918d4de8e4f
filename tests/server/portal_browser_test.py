#!/usr/bin/env python3
"""The external-recipient portal in a real browser: Debian's headless Chromium driven through
chromium-driver by python3-selenium, against `openrms serve --smtp-url` on 127.0.0.1 (ports the
OS picks) with an SMTP sink (aiosmtpd). The path a recipient takes: open the wrapper's link,
type the address, read the passcode from the mail, type it, read the message; the formatted
body's script, event handler, javascript: link and remote image do nothing (no alert, no
navigation, nothing fetched from outside the portal: the browser's network log is checked);
the Encrypt-Only attachment downloads with its exact bytes; the cookies carry their flags; a Do
Not Forward message shows no print action; five wrong passcodes lock; a passcode typed after it
expired opens nothing; a revoked message shows the revoked page; and a recipient signs in
with an OpenID provider instead (oidc_provider.py, seen by the browser as another site, so the
SameSite=Strict session cookie must survive the cross-site return). Screenshots of each page
are saved in WORK_DIR/shots.
Chromium runs with --ignore-certificate-errors because the test's certificate is made here and
Chromium's trust store is not; nothing leaves 127.0.0.1.
Usage: portal_browser_test.py OPENRMS_BINARY WORK_DIR
"""
import base64, email, email.policy, json, os, re, sys, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_harness import Checks, Deployment, sh, wait_for  # noqa: E402
from portal_client import last_code, mails_to, start_portal  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException, WebDriverException  # noqa
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

check = Checks()
binary = os.path.abspath(sys.argv[1])
d = Deployment(binary, sys.argv[2], "store.db", users=("alice",))
shots = os.path.abspath("shots")
downloads = os.path.abspath("downloads")
os.makedirs(shots)
os.makedirs(downloads)
driver = None
CODE_SECONDS = 20  # passcodes expire this soon here, so the test can watch one expire


def protect(name, eml, how):
    with open(name + ".eml", "wb") as f:
        f.write(eml)
    sh(binary, "mail", "protect", name + ".eml", how, "--as", "alice@contoso.com", *common)
    with open(name + "-protected.eml", "rb") as f:
        w = email.message_from_binary_file(f, policy=email.policy.default)
    m = re.search(r"(https://127\.0\.0\.1:\d+/portal/read\?id=\S+)",
                  w.get_body(("plain",)).get_content())
    return m.group(1)


def sign_in(link, address, shot_prefix=None):
    before = len(mails_to(address))
    driver.get(link)
    if shot_prefix:
        driver.save_screenshot(os.path.join(shots, shot_prefix + "-1-start.png"))
    driver.find_element(By.ID, "address").send_keys(address)
    submit("form[action='/portal/code'] button")
    code = last_code(address, before)
    if shot_prefix:
        driver.save_screenshot(os.path.join(shots, shot_prefix + "-2-passcode.png"))
    driver.find_element(By.ID, "code").send_keys(code or "")
    submit("form[action='/portal/verify'] button")
    return code


def submit(selector):
    """Clicks the form's button and waits until the next page has replaced this one."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()

    def replaced(_):
        # Chromium 156 answers a detached node with an inspector error that selenium 4.8's
        # staleness_of does not expect: any WebDriverException means the page was replaced.
        try:
            old.tag_name
            return False
        except WebDriverException:
            return True
    WebDriverWait(driver, 15).until(replaced)


def no_alert():
    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


try:
    node, common, _ = start_portal(d, binary, "Fabrikam ID", decrypt_eo=True,
                                   extra=["--portal-code-validity", str(CODE_SECONDS)])
    url = node.url

    attachment = bytes(range(256)) * 40
    hostile_html = (
        "<h2>Quarterly results</h2><p id=note>Revenue is up.</p>"
        "<script>alert('script ran'); document.title='pwned';</script>"
        "<img src=x onerror=\"alert('handler ran')\">"
        "<img src=\"https://127.0.0.2:9/tracker.gif\" alt=\"tracker\">"
        "<a id=bad href=\"javascript:alert('link ran')\">click me</a>")
    eo = ("From: Alice <alice@contoso.com>\r\nTo: clement@fabrikam.com\r\nSubject: Q3 results\r\n"
          "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
          "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n\r\nRevenue is up.\r\n--a\r\n"
          "Content-Type: text/html; charset=utf-8\r\n\r\n" + hostile_html + "\r\n--a--\r\n--m\r\n"
          "Content-Type: application/octet-stream; name=q3.bin\r\nContent-Disposition: "
          "attachment; filename=q3.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          base64.encodebytes(attachment).decode().replace("\n", "\r\n") + "--m--\r\n").encode()
    link = protect("eo", eo, "--encrypt-only")

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--window-size=1000,900",
                "--host-resolver-rules=MAP idp.test 127.0.0.1 , MAP * ~NOTFOUND , "
                "EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)

    code = sign_in(link, "clement@fabrikam.com", "encrypt-only")
    check("the passcode reached the sink and was typed in", code is not None)
    check("the message page opens", wait_for(lambda: "/portal/message" in driver.current_url, 10),
          driver.current_url)
    check("its subject is the page title", driver.title == "Q3 results", driver.title)
    time.sleep(1)  # let the body frame load (and anything that would run, run)
    driver.save_screenshot(os.path.join(shots, "encrypt-only-3-message.png"))
    check("no script ran (no alert, title unchanged)", no_alert() and driver.title == "Q3 results")
    frame = driver.find_element(By.CSS_SELECTOR, "iframe.body")
    check("the body frame is sandboxed", frame.get_attribute("sandbox") is not None)
    driver.switch_to.frame(frame)
    text = driver.find_element(By.TAG_NAME, "body").text
    check("the formatted body shows", "Revenue is up." in text, text[:80])
    links = driver.find_elements(By.TAG_NAME, "a")
    check("the javascript: link lost its target",
          all(not (l.get_attribute("href") or "").startswith("javascript") for l in links))
    driver.switch_to.default_content()
    cookies = {c["name"]: c for c in driver.get_cookies()}
    s = cookies.get("__Host-openrms_session", {})
    check("the session cookie is Secure, HttpOnly, SameSite=Strict",
          s.get("secure") and s.get("httpOnly") and s.get("sameSite") == "Strict", s)
    requested = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requested.add(urllib.parse.urlsplit(msg["params"]["request"]["url"]).netloc)
    check("nothing was fetched from outside the portal", requested <= {f"127.0.0.1:{node.port}"},
          requested)
    driver.find_element(By.LINK_TEXT, "q3.bin").click()
    path = os.path.join(downloads, "q3.bin")
    wait_for(lambda: os.path.exists(path) and not os.path.exists(path + ".crdownload"), 15)
    got = open(path, "rb").read() if os.path.exists(path) else b""
    check("the Encrypt-Only attachment downloads byte for byte", got == attachment, len(got))
    check("Encrypt-Only offers printing", len(driver.find_elements(By.ID, "print")) == 1)

    dnf = (b"From: Alice <alice@contoso.com>\r\nTo: dora@fabrikam.com\r\nSubject: Board memo\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nConfidential.\r\n")
    link = protect("dnf", dnf, "--do-not-forward")
    sign_in(link, "dora@fabrikam.com")
    wait_for(lambda: "/portal/message" in driver.current_url, 10)
    driver.save_screenshot(os.path.join(shots, "do-not-forward-3-message.png"))
    page = driver.find_element(By.TAG_NAME, "main").text
    check("Do Not Forward says so and offers no print",
          "Do not forward" in page and not driver.find_elements(By.ID, "print"), page[:120])
    # The browser's own favicon request (outside the portal) is the only expected 404.
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
              and "favicon.ico" not in e["message"]]
    check("the browser logged no other errors", not errors, errors[:3])
    # Five wrong passcodes typed in lock the address out.
    before = len(mails_to("dora@fabrikam.com"))
    driver.get(link)
    driver.find_element(By.ID, "address").send_keys("dora@fabrikam.com")
    submit("form[action='/portal/code'] button")
    good = last_code("dora@fabrikam.com", before)
    wrong = "00000000" if good != "00000000" else "11111111"
    for i in range(5):
        driver.find_element(By.ID, "code").send_keys(wrong)
        submit("form[action='/portal/verify'] button")
        if i == 3:
            driver.save_screenshot(os.path.join(shots, "wrong-passcode.png"))
    locked = driver.find_element(By.TAG_NAME, "main").text
    check("five wrong passcodes lock the address", "Locked" in locked, locked[:80])
    driver.save_screenshot(os.path.join(shots, "locked.png"))

    # Signing in with the provider instead of a passcode; the provider is another site.
    memo = (b"From: Alice <alice@contoso.com>\r\nTo: erin@fabrikam.com\r\nSubject: Plan\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe plan.\r\n")
    link = protect("signin", memo, "--encrypt-only")
    driver.delete_all_cookies()
    driver.get(link)
    driver.save_screenshot(os.path.join(shots, "signin-1-start.png"))
    driver.find_element(By.LINK_TEXT, "Sign in with Fabrikam ID").click()
    wait_for(lambda: driver.find_elements(By.ID, "email"), 15)
    check("the provider's page is another site", driver.current_url.startswith("https://idp.test:"),
          driver.current_url)
    driver.find_element(By.ID, "email").send_keys("erin@fabrikam.com")
    submit("#allow")
    check("back from the provider, the message opens",
          wait_for(lambda: "/portal/message" in driver.current_url and driver.title == "Plan", 15),
          (driver.current_url, driver.title))
    driver.save_screenshot(os.path.join(shots, "signin-2-message.png"))
    check("the message's text shows", "The plan." in driver.find_element(By.TAG_NAME, "main").text)

    # alice revokes it: the open page, reloaded, says so and shows nothing of it.
    cid = urllib.parse.unquote(link.split("id=", 1)[1])
    status, _ = d.call(url, "alice", "/v1/revoke", {"content_id": cid})
    driver.refresh()
    page = driver.find_element(By.TAG_NAME, "main").text
    check("a revoked message shows the revoked page only",
          status == 204 and "revoked" in page and "The plan." not in page, (status, page[:80]))
    driver.save_screenshot(os.path.join(shots, "revoked.png"))

    # A passcode typed after it expired opens nothing.
    late = (b"From: Alice <alice@contoso.com>\r\nTo: hal@fabrikam.com\r\nSubject: Later\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLate.\r\n")
    link = protect("late", late, "--encrypt-only")
    driver.delete_all_cookies()
    before = len(mails_to("hal@fabrikam.com"))
    driver.get(link)
    driver.find_element(By.ID, "address").send_keys("hal@fabrikam.com")
    submit("form[action='/portal/code'] button")
    code = last_code("hal@fabrikam.com", before)
    time.sleep(CODE_SECONDS + 1)
    driver.find_element(By.ID, "code").send_keys(code or "")
    submit("form[action='/portal/verify'] button")
    page = driver.find_element(By.TAG_NAME, "main").text
    check("an expired passcode opens nothing", code is not None and "expired" in page and
          "/portal/message" not in driver.current_url, page[:80])
    driver.save_screenshot(os.path.join(shots, "expired-passcode.png"))
finally:
    if driver:
        driver.quit()
    d.stop()
check.exit()

"""The captive portal in a real browser and its DNS responder through a real resolver.

Run by `cargo xtask portal`, which starts `provkit sim --portal --dns ...` on loopback, runs
this script against it, and stops the sim. Debian's chromium, driven headless by Playwright
(its own browser download is not used): open the page the way a phone's connectivity check
does, pick a network from the list, type a wrong passphrase and read the failure (with the
attempts remaining where the personality counts them), type the right one and read
"Connected". A screenshot of each step goes to --shots.
"""

import argparse
import pathlib
import socket
import sys

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
from playwright.sync_api import expect, sync_playwright


def check_dns(server: str, expected: str) -> None:
    host, port = server.rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 5
    for name in ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com", "x.invalid"]:
        got = [r.address for r in resolver.resolve(name, "A")]
        assert got == [expected], f"A {name}: {got}"
    # AAAA: an answer with no records (NOERROR), so dual-stack clients fall back to IPv4.
    reply = dns.query.udp(dns.message.make_query("example.com", dns.rdatatype.AAAA), host, port=int(port), timeout=5)
    assert reply.rcode() == dns.rcode.NOERROR and not reply.answer, reply
    # A malformed query (two questions' count, one question) gets FORMERR, not silence or a crash.
    wire = bytearray(dns.message.make_query("example.com", dns.rdatatype.A).to_wire())
    wire[5] = 2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(bytes(wire), (host, int(port)))
        data, _ = s.recvfrom(512)
    assert data[:2] == wire[:2] and data[3] & 0x0F == dns.rcode.FORMERR, data
    # And the responder still answers afterwards.
    assert [r.address for r in resolver.resolve("still.alive", "A")] == [expected]
    print(f"dns: {server} answers every A query with {expected}, AAAA with no records, FORMERR for malformed")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the portal's base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--dns", help="the DNS responder, HOST:PORT")
    ap.add_argument("--dns-answer", default="127.0.0.1")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--shots", required=True)
    ap.add_argument("--label", default="esp")
    ap.add_argument("--secret", default="")
    ap.add_argument("--ssid", default="HomeNet")
    ap.add_argument("--wrong", default="wrong horse 1")
    ap.add_argument("--right", default="correct horse")
    ap.add_argument("--expect-attempts", action="store_true")
    args = ap.parse_args()

    if args.dns:
        check_dns(args.dns, args.dns_answer)

    shots = pathlib.Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    base = args.url.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        # A phone-sized screen.
        page = browser.new_page(viewport={"width": 390, "height": 780}, device_scale_factor=1)
        step = 0

        def shot(name: str) -> None:
            nonlocal step
            step += 1
            path = shots / f"{args.label}-{step:02d}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot: {path}")

        # What Android's connectivity check gets: a redirect to the page.
        page.goto(base + "/generate_204")
        assert page.url == base + "/", page.url
        msg = page.locator("#msg")
        network = page.locator(f"#nets button[data-ssid='{args.ssid}']")
        expect(network).to_be_visible(timeout=20_000)
        names = page.locator("#nets button").evaluate_all("bs => bs.map(b => b.dataset.ssid)")
        assert args.ssid in names, names
        shot("networks")

        network.click()
        expect(page.locator("#ssid")).to_have_value(args.ssid)
        secret_box = page.locator("#secret")
        if args.secret:
            expect(secret_box).to_be_visible()
            # A wrong device code first: refused before any attempt, counted by the throttle.
            secret_box.fill("not-the-code")
            page.fill("#pass", args.right)
            page.click("#go")
            expect(msg).to_contain_text("Wrong device code", timeout=10_000)
            shot("wrong-device-code")
            secret_box.fill(args.secret)
        page.fill("#pass", args.wrong)
        shot("picked-wrong-passphrase")
        page.click("#go")
        expect(msg).to_contain_text("Wrong password", timeout=60_000)
        if args.expect_attempts:
            expect(msg).to_contain_text("attempts remaining")
        expect(page.locator("#go")).to_be_enabled()
        shot("wrong-password")
        print(f"{args.label}: wrong passphrase -> {msg.inner_text()!r}")

        # Try again, no reboot.
        page.fill("#pass", args.right)
        page.click("#go")
        expect(msg).to_contain_text(f"Connected to {args.ssid}", timeout=60_000)
        shot("connected")
        print(f"{args.label}: right passphrase -> {msg.inner_text()!r}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""The lab's client: a bounded loop that connects to the VIP as an application would.

  probe.py run SECONDS [--host IP] [--port 4006] [--interval-ms 50] [--connect-timeout-ms 200]
               [--read-timeout-ms 300] [--mysql] [--out FILE]
      One attempt every interval (at most SECONDS long, at most 20 attempts per second,
      never more than 3600 s). Each attempt prints one line:
          <epoch seconds> <HH:MM:SS.mmm> <+elapsed s> OK <node> [detail]
          <epoch seconds> <HH:MM:SS.mmm> <+elapsed s> FAIL <reason>
      Port 4006 (MaxScale's listener): connect, read what the server sends first (the
      simulator's line naming its node; a real MaxScale's handshake carrying
      version_string=maxscale-nN) and take the node name nN from it.
      --mysql (port 3306, Galera behind the VIP): run `mariadb -h IP -u lab -e "SELECT
      @@hostname, wsrep state"`; only an answer from a Synced node counts as OK (an answer from a
      Donor/Desynced or non-Primary node is reported as FAIL unhealthy nN ...).
  probe.py windows FILE [--gap-ms 250] [--summary]
      Every outage window in the log (a gap of more than --gap-ms between two answers), with
      the node before and after, and every change of the answering node; --summary: one line.
  probe.py arp SECONDS --ip IP --src-ip IP [--iface eth0] [--interval-ms 100] [--out FILE]
               [--names MAC=NAME,...]
      Who answers ARP for IP: every interval an ARP request (raw socket, no fork), and every
      reply collected until the next one. One line per sample:
          <epoch seconds> <HH:MM:SS.mmm> <+elapsed s> ARP <name or MAC>[,<name or MAC>...]|none
      Two names on a line: two hosts answered for the address at once (a split brain).
  probe.py arp-dual FILE
      The ARP samples with more than one answering host (nothing: there were none).
  probe.py analyze FILE [--since EPOCH] [--until EPOCH]
      The outage window after EPOCH: the longest gap between two consecutive OK answers that
      ends after EPOCH (the answer before and the first answer after the outage), plus the node
      answering before and after. Prints: outage_s=1.234 before=n1 after=n2 outage_from=EPOCH
      outage_to=EPOCH (the first answer after) attempts=N fails=N final=nN (open=1: not over)
"""
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

NODE_RE = re.compile(r"(?<![A-Za-z0-9])(n[0-9]+)(?![0-9])")


def readable(s, until):
    """True once s has data to read, False when the monotonic deadline `until` came first."""
    left = until - time.monotonic()
    return left > 0 and bool(select.select([s], [], [], left)[0])


def connect(host, port, cto):
    """A TCP connection made within cto seconds: (socket, None), or (None, why not)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(cto)
    try:
        s.connect((host, port))
        return s, None
    except socket.timeout:
        s.close()
        return None, "connect timeout"
    except OSError as e:
        s.close()
        return None, (e.strerror or str(e)).lower()


def attempt_tcp(host, port, cto, rto):
    s, why = connect(host, port, cto)
    if s is None:
        return False, why
    data = b""
    deadline = time.monotonic() + rto
    try:
        while len(data) < 512 and readable(s, deadline):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
            if b"\n" in data or NODE_RE.search(data.decode("latin-1")):
                break
    except OSError as e:
        s.close()
        return False, "read: " + (e.strerror or str(e)).lower()
    s.close()
    text = "".join(c if 32 <= ord(c) < 127 else " " for c in data.decode("latin-1"))
    text = " ".join(text.split())
    if not data:
        return False, "no answer within %d ms" % int(rto * 1000)
    m = NODE_RE.search(text)
    if not m:
        return False, "answer names no node: " + text[:60]
    return True, m.group(1) + " " + text[:60]


def attempt_mysql(host, port, cto, rto):
    sql = ("SELECT @@hostname, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
           "WHERE VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT'")
    # a quick TCP connect first: the client's own 1 s connect timeout is too coarse
    s, why = connect(host, port, cto)
    if s is None:
        return False, why
    s.close()
    try:
        p = subprocess.run(
            ["mariadb", "-h", host, "-P", str(port), "-u", "lab", "-plab", "--connect-timeout=1",
             "-N", "-B", "-e", sql],
            capture_output=True, text=True, timeout=cto + rto + 0.5)
    except subprocess.TimeoutExpired:
        return False, "timeout"
    if p.returncode != 0:
        err = " ".join(p.stderr.split())
        err = re.sub(r"^ERROR ", "", err)
        return False, err[:80] or "rc %d" % p.returncode
    parts = p.stdout.split()
    if len(parts) < 2:
        return False, "bad answer " + p.stdout.strip()[:40]
    node, state = parts[0], " ".join(parts[1:])
    if state != "Synced":
        return False, "unhealthy %s %s" % (node, state)
    return True, node + " " + state


def run(args):
    secs = float(args[0])
    opts = {"--host": "10.200.0.100", "--port": "4006", "--interval-ms": "50",
            "--connect-timeout-ms": "200", "--read-timeout-ms": "300", "--out": ""}
    mysql = False
    i = 1
    while i < len(args):
        if args[i] == "--mysql":
            mysql = True
            if opts["--port"] == "4006":
                opts["--port"] = "3306"
            i += 1
            continue
        opts[args[i]] = args[i + 1]
        i += 2
    secs = max(0.0, min(secs, 3600.0))
    interval = max(0.05, float(opts["--interval-ms"]) / 1000.0)
    cto = float(opts["--connect-timeout-ms"]) / 1000.0
    rto = float(opts["--read-timeout-ms"]) / 1000.0
    out = open(opts["--out"], "a", buffering=1) if opts["--out"] else sys.stdout
    fn = attempt_mysql if mysql else attempt_tcp
    t0 = time.time()
    end = time.monotonic() + secs
    max_attempts = int(secs / interval) + 2
    n = 0
    while time.monotonic() < end and n < max_attempts:
        n += 1
        start = time.monotonic()
        ts = time.time()
        ok, what = fn(opts["--host"], int(opts["--port"]), cto, rto)
        lt = time.localtime(ts)
        line = "%.3f %s.%03d +%.3f %s %s" % (
            ts, time.strftime("%H:%M:%S", lt), int((ts % 1) * 1000), ts - t0,
            "OK" if ok else "FAIL", what)
        try:
            out.write(line + "\n")
            out.flush()
        except BrokenPipeError:
            return 0
        left = interval - (time.monotonic() - start)
        if left > 0:
            time.sleep(left)
    return 0


def analyze(args):
    path = args[0]
    since = None
    until = None
    i = 1
    while i < len(args):
        if args[i] == "--since":
            since = float(args[i + 1])
        elif args[i] == "--until":
            until = float(args[i + 1])
        i += 2
    oks = []
    attempts = 0
    fails = 0
    last_t = None
    last_ok = False
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 4:
                continue
            t = float(p[0])
            if until is not None and t > until:
                break
            attempts += 1
            last_t = t
            last_ok = p[3] == "OK"
            if p[3] == "OK":
                oks.append((t, p[4] if len(p) > 4 else "?"))
            elif since is None or t >= since:
                fails += 1
    if since is None:
        since = oks[0][0] if oks else 0.0
    best = None
    for a, b in zip(oks, oks[1:]):
        if b[0] <= since:
            continue
        gap = b[0] - a[0]
        if best is None or gap > best[0]:
            best = (gap, a, b)
    # an outage still going on when the log ends
    if oks and last_t is not None and not last_ok and last_t > since:
        gap = last_t - oks[-1][0]
        if best is None or gap > best[0]:
            print("outage_s=%.3f before=%s after=none outage_from=%.3f outage_to=none attempts=%d "
                  "fails=%d final=none open=1" % (gap, oks[-1][1], oks[-1][0], attempts, fails))
            return 1
    if best is None:
        last_before = [o for o in oks if o[0] <= since]
        print("outage_s=none attempts=%d fails=%d before=%s after=none" % (
            attempts, fails, last_before[-1][1] if last_before else "none"))
        return 1
    gap, a, b = best
    after_nodes = [o[1] for o in oks if o[0] > b[0] - 1e-6]
    print("outage_s=%.3f before=%s after=%s outage_from=%.3f outage_to=%.3f attempts=%d fails=%d final=%s"
          % (gap, a[1], b[1], a[0], b[0], attempts, fails, after_nodes[-1] if after_nodes else b[1]))
    return 0


def read_log(path):
    """(epoch, ok, node-or-reason) per attempt line of a probe log."""
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 4 or p[3] not in ("OK", "FAIL"):
                continue
            try:
                t = float(p[0])
            except ValueError:
                continue
            out.append((t, p[3] == "OK", " ".join(p[4:])))
    return out


def hms(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


def windows(args):
    path = args[0]
    gap = 0.25
    summary = "--summary" in args
    if "--gap-ms" in args:
        gap = float(args[args.index("--gap-ms") + 1]) / 1000.0
    rows = read_log(path)
    oks = [(t, what.split()[0] if what else "?") for t, ok, what in rows if ok]
    found = []
    changes = []
    for a, b in zip(oks, oks[1:]):
        fails = [what for t, ok, what in rows if not ok and a[0] < t < b[0]]
        if b[0] - a[0] > gap:
            reason = max(set(fails), key=fails.count) if fails else "no attempt"
            found.append((a, b, len(fails), reason))
        elif a[1] != b[1]:
            changes.append((a, b))
    still = None
    if rows and not rows[-1][1] and oks and rows[-1][0] - oks[-1][0] > gap:
        still = (oks[-1], rows[-1][0])
    nodes = []
    for _, n in oks:
        if n not in nodes:
            nodes.append(n)
    if summary:
        longest = max([b[0] - a[0] for a, b, _, _ in found], default=0.0)
        print("%d attempts, %d answered (by %s), %d outage window%s%s%s" % (
            len(rows), len(oks), " ".join(nodes) or "nobody", len(found),
            "" if len(found) == 1 else "s",
            ", longest %.2f s" % longest if found else "",
            "; NOT answered at the end (since %s)" % hms(still[0][0]) if still else ""))
        return 0
    print("%s: %d attempts, %d answered, by %s" % (path, len(rows), len(oks), " ".join(nodes) or "nobody"))
    for a, b, nfail, reason in found:
        print("outage %s -> %s  %6.2f s  %s -> %s  (%d failed attempts, mostly: %s)" % (
            hms(a[0]), hms(b[0]), b[0] - a[0], a[1], b[1], nfail, reason))
    for a, b in changes:
        print("answered by %s, then by %s at %s without an outage" % (a[1], b[1], hms(b[0])))
    if still:
        print("outage %s -> (log ends %s) %6.2f s  %s -> nobody yet" % (
            hms(still[0][0]), hms(still[1]), still[1] - still[0][0], still[0][1]))
    if not found and not still:
        print("no outage window (no gap over %d ms)" % int(gap * 1000))
    return 0


ETH_P_ARP = 0x0806


def arp(args):
    secs = float(args[0])
    opts = {"--iface": "eth0", "--interval-ms": "100", "--out": "", "--ip": "", "--src-ip": "",
            "--names": ""}
    i = 1
    while i + 1 < len(args):
        opts[args[i]] = args[i + 1]
        i += 2
    if not opts["--ip"] or not opts["--src-ip"]:
        sys.stderr.write("arp: --ip and --src-ip are required\n")
        return 2
    names = {}
    for kv in filter(None, opts["--names"].split(",")):
        mac, _, name = kv.partition("=")
        names[mac.lower()] = name
    secs = max(0.0, min(secs, 3600.0))
    interval = max(0.02, float(opts["--interval-ms"]) / 1000.0)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((opts["--iface"], ETH_P_ARP))
    mine = s.getsockname()[4]
    tpa = socket.inet_aton(opts["--ip"])
    spa = socket.inet_aton(opts["--src-ip"])
    request = (b"\xff" * 6 + mine + struct.pack("!H", ETH_P_ARP)
               + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mine + spa + b"\x00" * 6 + tpa)
    out = open(opts["--out"], "a", buffering=1) if opts["--out"] else sys.stdout
    t0 = time.time()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        ts = time.time()
        s.send(request)
        seen = []
        until = time.monotonic() + interval
        while readable(s, until):
            frame = s.recv(128)
            if len(frame) < 42 or frame[12:14] != b"\x08\x06":
                continue
            op, sha, sip = struct.unpack("!H", frame[20:22])[0], frame[22:28], frame[28:32]
            if op != 2 or sip != tpa:
                continue
            mac = ":".join("%02x" % b for b in sha)
            who = names.get(mac, mac)
            if who not in seen:
                seen.append(who)
        try:
            out.write("%.3f %s +%.3f ARP %s\n" % (ts, hms(ts), ts - t0, ",".join(seen) or "none"))
        except BrokenPipeError:
            return 0
    return 0


def arp_dual(args):
    with open(args[0]) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[3] == "ARP" and "," in p[4]:
                print(line.rstrip())
    return 0


def main():
    cmds = {"run": run, "analyze": analyze, "windows": windows, "arp": arp, "arp-dual": arp_dual}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

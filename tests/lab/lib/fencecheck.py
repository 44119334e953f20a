#!/usr/bin/python3
"""Do the lab switch's journal and Pacemaker's fencing history tell the same story?

  fencecheck.py JOURNAL HISTORY_XML [--since EPOCH]

HISTORY_XML is `stonith_admin --history '*' --verbose --output-as=xml` from a node in the
ring (without --verbose, stonith_admin keeps one event). Rules, for events at or after EPOCH:
  * every successful fencing event of the history (action, target, delegate) is one journal
    entry of the fence agent (via=fence_lab) with the same op, node and `by`, result ok,
    finished before the time the history gives (whole seconds; for a target that was still
    a member the fencer records it once the target has left the membership, so up to token
    + consensus later);
  * every failed event of the history has a refused journal entry for that target within a
    few seconds (the fencer runs the agent pcmk_<action>_retries times on each node that may
    run the device per event, so there are more entries than events);
  * every successful power operation of the agent in the journal is in the history: the
    switch did nothing the cluster does not know of (and `stonith_admin --confirm`, which
    writes a success without any device, would show up as a history event without a journal
    entry).
Prints one line per event and exits 0 when they agree, 1 when not, 2 on bad input.
"""
import calendar
import sys
import time
import xml.etree.ElementTree as ET


def journal_entries(path, since):
    out = []
    with open(path) as f:
        for line in f:
            words = line.split()
            kv = {}
            for w in words[1:]:
                k, sep, v = w.partition("=")
                if sep:
                    kv[k] = v.strip('"')
            try:
                t = float(kv.get("t", "nan"))
            except ValueError:
                continue
            if t < since or kv.get("via") != "fence_lab" or kv.get("op") not in ("off", "on", "reboot"):
                continue
            end = t + float(kv.get("ms", "0")) / 1000.0
            out.append({"op": kv["op"], "node": kv.get("node"), "by": kv.get("by"),
                        "ok": kv.get("result") == "ok", "t": t, "end": end, "used": False,
                        "line": line.rstrip()})
    return out


def history_events(path, since):
    root = ET.parse(path).getroot()
    out = []
    for e in root.iter("fence_event"):
        stamp = e.get("completed") or e.get("last-failed") or ""
        t = None
        for fmt in ("%Y-%m-%d %H:%M:%SZ", "%Y-%m-%d %H:%M:%S"):
            try:
                t = calendar.timegm(time.strptime(stamp, fmt))
                break
            except ValueError:
                pass
        status = e.get("status")
        if status == "pending":
            continue
        if t is None:
            print("DISAGREE history event without a time: %s" % ET.tostring(e, encoding="unicode"))
            out.append({"bad": True})
            continue
        if t + 1 < since:
            continue
        out.append({"action": e.get("action"), "target": e.get("target"),
                    "delegate": e.get("delegate"), "ok": status == "success", "t": t,
                    "status": status, "bad": False})
    return out


def hms(t):
    return time.strftime("%H:%M:%S", time.gmtime(t)) + (".%03d" % int((t % 1) * 1000))


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    since = 0.0
    if "--since" in argv:
        since = float(argv[argv.index("--since") + 1])
    journal = journal_entries(argv[0], since)
    history = history_events(argv[1], since)
    agree = True
    for h in sorted(history, key=lambda h: h.get("t", 0)):
        if h["bad"]:
            agree = False
            continue
        what = "%s of %s by %s (%s, history %sZ)" % (h["action"], h["target"], h["delegate"] or "-",
                                                     h["status"], hms(h["t"]))
        if h["ok"]:
            # The fencer records a reboot or off of a node that is still a member only once
            # the node has left the membership (up to token + consensus after the agent's
            # power-off: 8 s with the default token), and in whole seconds. One entry each.
            cands = [j for j in journal if not j["used"] and j["ok"] and j["op"] == h["action"]
                     and j["node"] == h["target"] and j["by"] == h["delegate"]
                     and h["t"] - 20 <= j["end"] < h["t"] + 2]
            cands.sort(key=lambda j: -j["end"])
        else:
            # A failed event is several attempts of the agent (pcmk_<action>_retries on each
            # node that may run the device, about a second apart), the event's time one of
            # them: a refused attempt for the target around it is its trace.
            cands = [j for j in journal if not j["ok"] and j["op"] == h["action"]
                     and j["node"] == h["target"] and h["t"] - 5 <= j["end"] < h["t"] + 5]
            cands.sort(key=lambda j: abs(j["end"] - h["t"]))
        if not cands:
            print("DISAGREE %s: no such journal entry" % what)
            agree = False
            continue
        cands[0]["used"] = True
        print("AGREE    %s = journal %sZ" % (what, hms(cands[0]["end"])))
    for j in journal:
        if j["ok"] and not j["used"]:
            print("DISAGREE the switch did %s of %s for %s at %sZ, the history has no such event"
                  % (j["op"], j["node"], j["by"], hms(j["end"])))
            agree = False
    n_ok = sum(1 for h in history if not h["bad"] and h["ok"])
    n_fail = sum(1 for h in history if not h["bad"] and not h["ok"])
    print("%s: %d successful and %d failed fencing events, %d journal entries of the agent"
          % ("agree" if agree else "DO NOT AGREE", n_ok, n_fail, len(journal)))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

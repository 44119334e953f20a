#!/usr/bin/python3
"""When did a node's log first say something, after a moment?

  logtime.py first SINCE SUBSTRING FILE...   epoch of the first line at or after SINCE that
                                             contains SUBSTRING, over all FILEs ("-": none)
  logtime.py lines SINCE SUBSTRING FILE...   those lines, oldest first

The files are Pacemaker's and Corosync's logs ("Dec 01 23:42:52.885 n1 ..."), local time
without a year (the year is SINCE's).
"""
import datetime
import sys


def stamped(paths, since, needle):
    year = datetime.datetime.fromtimestamp(since).year
    out = []
    for path in paths:
        try:
            f = open(path, errors="replace")
        except OSError:
            continue
        with f:
            for line in f:
                if needle not in line:
                    continue
                try:
                    stamp = "%d %s" % (year, " ".join(line.split()[:3]))
                    t = datetime.datetime.strptime(stamp, "%Y %b %d %H:%M:%S.%f").timestamp()
                except ValueError:
                    continue
                if t >= since:
                    out.append((t, line.rstrip()))
    out.sort()
    return out


def main(argv):
    if len(argv) < 4 or argv[0] not in ("first", "lines"):
        sys.stderr.write(__doc__)
        return 2
    found = stamped(argv[3:], float(argv[1]), argv[2])
    if argv[0] == "first":
        print("%.3f" % found[0][0] if found else "-")
    else:
        for _, line in found:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

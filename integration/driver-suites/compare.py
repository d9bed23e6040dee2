"""Compares two JUnit XML reports of the same suite: prints the tests that fail (or error)
through the proxy but pass directly, and those that fail both ways (for information).

    compare.py DIRECT.xml PROXY.xml

Exit status 1 when some test fails only through the proxy.
"""

import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    result = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            message = (bad.get("message") or bad.text or "").strip().splitlines()
            result[name] = ("fail", message[0][:200] if message else "")
        elif case.find("skipped") is not None:
            result[name] = ("skip", "")
        else:
            result[name] = ("pass", "")
    return result


def main():
    direct, proxy = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    only_proxy = sorted(n for n, (o, _) in proxy.items() if o == "fail" and direct.get(n, ("", ""))[0] != "fail")
    both = sorted(n for n, (o, _) in proxy.items() if o == "fail" and direct.get(n, ("", ""))[0] == "fail")
    count = lambda r, o: sum(1 for v in r.values() if v[0] == o)
    for label, r in (("direct", direct), ("proxy", proxy)):
        print(f"{label}: {count(r, 'pass')} passed, {count(r, 'fail')} failed, {count(r, 'skip')} skipped")
    print(f"failing both ways (not the proxy's): {len(both)}")
    for n in both:
        print(f"  {n}: {direct[n][1]}")
    print(f"failing only through the proxy: {len(only_proxy)}")
    for n in only_proxy:
        print(f"  {n}: {proxy[n][1]}")
    return 1 if only_proxy else 0


if __name__ == "__main__":
    sys.exit(main())

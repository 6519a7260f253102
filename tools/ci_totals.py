"""The totals of every test run CI made, from the runners' own JUnit XML reports.

    python tools/ci_totals.py REPORT_DIR [--failed-stages N]
    python tools/ci_totals.py --failures REPORT.xml|DIR # prints the failures recorded (or -1)

Reads every `*.xml` under REPORT_DIR (pytest's `--junitxml`, schemathesis' `--report junit`) and
prints one line, `ci: N passed, M failed, K skipped`. A stage that failed without writing a
report (a crash, a lint error) counts as one failure, so a broken run can never print
`0 failed`. Standard library only: it runs before and after the virtualenv exists.
"""

import argparse
import sys
from pathlib import Path
from xml.etree import ElementTree


def suite_totals(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) of one JUnit report; errors count as failures."""
    root = ElementTree.parse(path).getroot()  # noqa: S314 - our own runners' reports
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for suite in suites:
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - bad - skip
        failed += bad
        skipped += skip
    return passed, failed, skipped


def report_failures(path: Path) -> int:
    """The failures a report (a file, or every report in a folder) records, or -1 when there is
    no readable report."""
    paths = sorted(path.rglob("*.xml")) if path.is_dir() else [path]
    try:
        return sum(suite_totals(p)[1] for p in paths) if paths else -1
    except (OSError, ElementTree.ParseError, ValueError):
        return -1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report_dir", type=Path, nargs="?")
    parser.add_argument("--failed-stages", type=int, default=0)
    parser.add_argument("--failures", type=Path)
    args = parser.parse_args(argv)
    if args.failures is not None:
        print(report_failures(args.failures))
        return 0
    passed = failed = skipped = 0
    for path in sorted(args.report_dir.rglob("*.xml")):
        try:
            p, f, s = suite_totals(path)
        except (ElementTree.ParseError, ValueError) as exc:
            print(f"ci: unreadable report {path}: {exc}", file=sys.stderr)
            f, p, s = 1, 0, 0
        print(f"ci: {path.name}: {p} passed, {f} failed, {s} skipped", file=sys.stderr)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    failed += args.failed_stages
    print(f"ci: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

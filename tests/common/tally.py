"""Counting checks in the Python tests: every check is counted, a failed one is printed, and
close() prints the closing "N passed, M failed" line and gives the exit status."""


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)
        return ok

    __call__ = check

    def close(self, note=""):
        print(("%d passed, %d failed %s" % (self.passed, self.failed, note)).rstrip())
        return 1 if self.failed else 0

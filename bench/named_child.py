"""A forked child process with a name of its own, timing work on command (bench helper).

Per-process probes (nginx and ssl_uprobe targets, the floor loaders) pick their process by
comm or pid, so a bench measures the code it times inside such a child: the bench's own
process is left out of the probes, and the child's CPU time is the cost being measured.
"""
import ctypes
import os

PR_SET_NAME = 15


class NamedChild:
    """fork(); the child names itself comm, calls setup() once, then on each command calls
    work(state) and answers with the integer it returns (e.g. ns per iteration)."""

    def __init__(self, comm, setup, work):
        self.r, w = os.pipe()
        cr, self.w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.r)
            os.close(self.w)
            ctypes.CDLL(None).prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)
            state = setup()
            os.write(w, b"ready\n")
            while os.read(cr, 1) == b"g":
                os.write(w, b"%d\n" % work(state))
            os._exit(0)
        os.close(w)
        os.close(cr)
        if os.read(self.r, 64) != b"ready\n":
            raise RuntimeError("the %s child did not start" % comm)

    def start(self):
        """Let the child call work() once; result() gives what it returned."""
        os.write(self.w, b"g")

    def result(self):
        return int(os.read(self.r, 64).decode())

    def run(self):
        self.start()
        return self.result()

    def stop(self):
        os.write(self.w, b"q")
        os.waitpid(self.pid, 0)

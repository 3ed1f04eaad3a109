"""What the fuzz campaigns (readers.py, specs_checkpoints.py) share case by case: running
a case under a timer and naming its outcome, the rules that turn an outcome into a
finding, and the process's memory as Linux's /proc tells it.

The campaigns are scripts; they find this module beside them (see their imports)."""

import signal
import traceback

from purenn.errors import PurennError

MB = 1 << 20
SLACK = 50 * MB  # the peak memory a case may grow by on top of 4x its bytes


class CaseTimeout(BaseException):
    """Raised by the timer signal inside a case that runs too long."""


def raise_case_timeout(signum, frame):
    """The handler of the timer's signal (SIGPROF for ITIMER_PROF, SIGALRM for
    ITIMER_REAL)."""
    raise CaseTimeout


def exception_line(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def run_case(call, args, seconds, timer, describe_crash=exception_line):
    """(outcome, message, value) of ``call(*args)`` with ``timer`` armed for ``seconds``:
    ("accepted", "", its value), ("refused", the PurennError's text, None), ("hang", "",
    None) on CaseTimeout, ("blowup", "", None) on MemoryError, or ("crash",
    describe_crash(exception), None) on any other exception."""
    try:
        return _armed(call, args, seconds, timer, describe_crash)
    except CaseTimeout:  # the timer fired as the case ended, before it was disarmed
        signal.setitimer(timer, 0)
        return "hang", "", None


def _armed(call, args, seconds, timer, describe_crash):
    signal.setitimer(timer, seconds)
    try:
        return "accepted", "", call(*args)
    except PurennError as exc:
        return "refused", str(exc), None
    except CaseTimeout:
        return "hang", "", None
    except MemoryError:
        return "blowup", "", None
    except Exception as exc:  # noqa: BLE001 - a crash is what the campaigns look for
        return "crash", describe_crash(exc), None
    finally:
        signal.setitimer(timer, 0)


def is_one_line(message):
    """Whether a refusal's message is what the CLI can print: one line, not empty."""
    return bool(message) and "\n" not in message


def grew_too_much(growth, size):
    """Whether a case that ``size`` bytes stand for grew the peak memory by too much."""
    return growth > 4 * size + SLACK


def status(field):
    """A size field of /proc/self/status (VmHWM, VmRSS, VmSize) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak():
    """Make VmHWM, the peak resident memory, start again from the memory in use now."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

"""End a helper process (the local AWS, a preview render worker) when the process that
started it is gone, SIGKILL included."""

from __future__ import annotations

import os
import threading
import time

PARENT_POLL_SECONDS = 0.2


def exit_with_parent(parent: int, *, interval: float = PARENT_POLL_SECONDS) -> None:
    """End this process as soon as ``parent`` is no longer its parent (a daemon thread).

    PR_SET_PDEATHSIG would be the kernel's way, but it fires when the *thread* that started
    the child ends, and the tools start moto_server from short-lived threads.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()

"""The pipeline lock: one writer per data directory, gone with its process."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from guestloyalty.errors import PipelineLockedError
from guestloyalty.operations.pipeline import pipeline_lock
from guestloyalty.warehouse import Layout

HOLD = (
    "import sys, time; from pathlib import Path; "
    "from guestloyalty.operations.pipeline import pipeline_lock; "
    "from guestloyalty.warehouse import Layout; "
    "ctx = pipeline_lock(Layout(Path(sys.argv[1]))); ctx.__enter__(); "
    "print('held', flush=True); time.sleep(60)"
)


def _holder(tmp_path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_second_holder_fails_with_a_clear_message(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(PipelineLockedError, match=rf"pid {holder.pid}.*--wait"):
            with pipeline_lock(Layout(tmp_path)):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = _holder(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".pipeline.lock").exists()  # the file stays, the lock does not
    with pipeline_lock(Layout(tmp_path)):
        pass


def test_wait_blocks_until_the_holder_is_done(tmp_path):
    layout = Layout(tmp_path)
    released = threading.Event()
    messages: list[str] = []

    def hold() -> None:
        with pipeline_lock(layout):
            held.set()
            time.sleep(0.5)
            released.set()

    held = threading.Event()
    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    with pipeline_lock(layout, wait=True, report=messages.append):
        assert released.is_set()
    thread.join()
    assert messages and "waiting for" in messages[0]

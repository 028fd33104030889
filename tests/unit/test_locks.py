"""One writer per checkpoint folder (a second live writer stops, naming the first); a killed writer
never blocks a rerun; a full disk is reported as such, with the folder."""

import errno
import subprocess
import sys
import textwrap

import pytest

from mlpt import locks


def _holder(folder):
    """A separate process that takes the lock of ``folder`` and waits (a live orphaned writer)."""
    code = textwrap.dedent(f"""
        import sys, time
        from mlpt import locks
        with locks.writer_lock({str(folder)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_writer_stops_with_the_holder_named(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(locks.WriterLockHeld, match=rf"another live process \(host .*, pid {holder.pid}, since "):
            with locks.writer_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with locks.writer_lock(tmp_path) as path:  # a killed holder released it (kill -9)
        assert path.exists()


def test_the_lock_is_released_after_the_block_and_can_be_taken_again(tmp_path):
    with locks.writer_lock(tmp_path):
        pass
    with locks.writer_lock(tmp_path):
        pass


@pytest.mark.parametrize("err, full", [(OSError(errno.ENOSPC, "No space left on device"), True),
                                       (RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64"), True),
                                       (OSError(errno.EACCES, "Permission denied"), False),
                                       (RuntimeError("CUDA out of memory"), False)])
def test_a_full_disk_is_recognised_and_explained(tmp_path, err, full):
    assert locks.is_disk_full(err) is full
    message = str(locks.explain_disk_full(err, tmp_path / "ckpt" / "checkpoint-3"))
    assert message.startswith(f"disk full while writing into {tmp_path}/ckpt/checkpoint-3 (") and "GB free" in message

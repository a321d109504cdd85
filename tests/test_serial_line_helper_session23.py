"""The tests' slow serial line (SlowSerialLine) reads nothing once closed.

Found in session 23: its reader thread went on after close(), reading the closed descriptor's
number, which the test process soon gave to the next file it opened. Run after
test_serial_status_session20, every test of test_printer_backends that drew a badge failed with
"yaml ScannerError ... capabilities.json: found unexpected end of stream": the thread had read
part of python-escpos's profile file.
"""

from __future__ import annotations

import os
import time

from test_printer_backends import SlowSerialLine


def test_a_closed_line_leaves_the_next_descriptor_with_that_number_alone():
    line = SlowSerialLine()
    master = line.master
    os.write(line.slave, b"x" * 1000)  # the reader is busy: a chunk, a pause, a chunk...
    time.sleep(0.15)
    line.close()

    read_end, write_end = os.pipe()  # the lowest free numbers: the line's own, just closed
    try:
        assert read_end == master, "the test needs the pipe to take the line's number"
        os.write(write_end, b"y" * 100)
        time.sleep(0.5)  # a reader still going would take its chunks by now
        os.set_blocking(read_end, False)
        assert os.read(read_end, 1000) == b"y" * 100
    finally:
        os.close(read_end)
        os.close(write_end)

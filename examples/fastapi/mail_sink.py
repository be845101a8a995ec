"""A local SMTP server that delivers nothing: it keeps each message it
receives as a file in a folder, for a person or a test to read.

    /usr/bin/python3 examples/fastapi/mail_sink.py --port 8025 --dir /tmp/mail

Debian: apt-get install python3-aiosmtpd.  It listens on 127.0.0.1 only,
takes any sender and recipient, and runs until SIGTERM or SIGINT.  Each
message is written whole (headers and body, as received) to
DIR/NNNN.eml, numbered from 0001 in the order of arrival; a file appears
only once complete (written under another name, then renamed).
"""
import argparse
import itertools
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Folder:
    """The aiosmtpd handler: one file per message."""

    def __init__(self, directory: str):
        self.directory = directory
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = next(self.numbers)
        path = os.path.join(self.directory, f"{number:04d}.eml")
        partial = path + ".part"
        with open(partial, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(partial, path)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the TCP port on 127.0.0.1")
    parser.add_argument("--dir", required=True, help="the folder of the messages (created when missing)")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    controller = Controller(Folder(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

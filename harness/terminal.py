"""`copier copy` driven in a real pseudo-terminal, as a person answers its questionnaire."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pyte

COLUMNS, LINES = 200, 40


class Questionnaire:
    """One interactive `copier copy --trust` of `template` into `destination`."""

    def __init__(self, template: Path, destination: Path, timeout: int = 30):
        self.timeout = timeout
        self.terminal = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.Stream(self.terminal)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "copier", "copy", "--trust", "--vcs-ref=HEAD", str(template), str(destination)],
            encoding="utf-8",
            timeout=timeout,
            dimensions=(LINES, COLUMNS),
            # pexpect's terminal does not answer prompt_toolkit's cursor position requests.
            env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1"},
        )

    @property
    def screen(self) -> str:
        """What the terminal shows now."""
        return "\n".join(line.rstrip() for line in self.terminal.display).strip("\n")

    def wait_for(self, text: str):
        """Read the program's output until the screen shows `text`."""
        deadline = time.monotonic() + self.timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed {text!r}:\n{self.screen}")
            try:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=0.2))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                raise AssertionError(f"copier exited before showing {text!r}:\n{self.screen}") from None

    def type(self, prompt: str, text: str):
        """At `prompt`, replace the prefilled default with `text` and press Enter."""
        self.wait_for(prompt)
        self.retype(text)

    def retype(self, text: str):
        """Replace what the current question's line holds (after a refusal) and press Enter."""
        self.child.sendcontrol("u")
        self.child.sendline(text)

    def accept(self, prompt: str):
        """At `prompt`, press Enter on the default."""
        self.wait_for(prompt)
        self.child.send("\r")

    def finish(self) -> int:
        """Wait for copier to exit; its exit status."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=0.2))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                self.child.close()
                return self.child.exitstatus
        raise AssertionError(f"copier did not finish:\n{self.screen}")

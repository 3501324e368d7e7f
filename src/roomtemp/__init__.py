"""roomtemp: sensors push room temperatures over HTTP; people and systems ask what they are."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("roomtemp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

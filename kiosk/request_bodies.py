"""Request bodies as the app reads them: a chunked body's framing errors are a 400, and a chunked
body over the app's limit is a 413, as a sized one is (see each class for why)."""

from __future__ import annotations

from typing import IO, Any

from flask import Request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


class ChunkedBody:
    """A chunked request body whose framing errors are the client's: a 400, not a 500.

    gunicorn decodes a chunked body while the view reads it, and raises its own parse errors
    (a chunk size "zz", a missing CRLF, a client gone mid-chunk) from inside `request.get_json()`
    or `request.form`, where they became a 500 with a traceback. Werkzeug's own server already
    answers such a body with a 400; this makes gunicorn's do the same."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, *args: Any) -> bytes:
        return self._client_error(self._stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._client_error(self._stream.readline, *args)

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    @staticmethod
    def _client_error(read: Any, *args: Any) -> bytes:
        try:
            return read(*args)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the server's decoder raised about these bytes
            raise BadRequest(f"The request body could not be read: {exc.__class__.__name__}.") from exc


class WholeOrTooLarge(LimitedStream):
    """A body of unknown length (chunked) read under a maximum: whole, or a 413, never cut short.

    Werkzeug's LimitedStream ends a read of the whole body (`read()`, as `request.get_data()`
    and a urlencoded form do) at the maximum and returns what it has: a chunked JSON body over
    the API's 1 MiB came back as its first MiB, broken JSON, and was answered 400 "send a JSON
    object" where a body that says its Content-Length gets the documented 413. One byte read past
    the maximum tells a body of exactly that size from a longer one."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._more_to_come():
            raise RequestEntityTooLarge()
        return data

    def _more_to_come(self) -> bool:
        """Whether the body goes on past the maximum (the byte read to tell is dropped: the answer is a 413)."""
        try:
            return bool(self._source.read(1))
        except (OSError, ValueError) as exc:  # as LimitedStream: a client gone mid-body is a 400
            self.on_disconnect(error=exc)
            return False


class KioskRequest(Request):
    """Flask's request, whose chunked body is held to `max_content_length` as a sized one is (WholeOrTooLarge)."""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        unsized = self.content_length is None and "wsgi.input_terminated" in self.environ
        if limit is None or not unsized or self.shallow:
            return super().stream  # Werkzeug's own: a Content-Length over the limit is a 413 before any read
        return WholeOrTooLarge(self.environ["wsgi.input"], limit)


def readable_bodies(wsgi_app: Any) -> Any:
    """WSGI middleware: chunked request bodies go to the app as ChunkedBody (see there)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ["wsgi.input"] = ChunkedBody(environ["wsgi.input"])
        return wsgi_app(environ, start_response)

    return app

"""ivconform adapter kit for Python (standard library only): the protocol loop of docs/PROTOCOL.md over stdio or
HTTP, so that you write only the callbacks

    sign(secret: bytes, user_id, email) -> str | None
    verify(config: dict, platform: str, payload: bytes, now: int | None) -> dict

`sign` gets the secret's raw bytes, `user_id` as sent (a str, an int of any size, or None when absent or null)
and `email` (a str or None). It returns the 64-hex `user_hash`, the text "error:CLASS" for a refusal
(e.g. "error:no_identifier"), or None when it produced no hash. `verify` returns the verify answer without
`type`/`seq`, e.g. {"result": "reject", "reason": "invalid_user_hash"}. An exception in a callback becomes a
protocol `error` answer naming it (the case fails; the loop goes on).

    import ivconform_kit
    ivconform_kit.serve(sign=my_sign, name="acme", limits={"secret": "text"})

`serve` reads `--http HOST:PORT` from the command line (default: stdio). Anything the callbacks print goes to
stderr: stdout carries only the protocol.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import sys

__all__ = ["serve", "handle", "ABSENT"]


class _Absent:
    """What `sign` gets for a key the request did not send, with serve(absent=ABSENT) (default: None)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()

MAX_REQUEST_BYTES = 16 * 1024 * 1024  # requests carry up to a few MiB (the 1 MiB payload case, in hex)


def _describe(error: BaseException, secret: bytes | None) -> str:
    """`Type: message` of a callback's exception, without the message when it shows the secret (of 4+ bytes:
    a shorter one matches any text)."""
    text = f"{type(error).__name__}: {error}"[:300]
    if secret and len(secret) >= 4 and any(s in text for s in (secret.hex(), secret.decode("latin-1"), repr(secret))):
        return f"{type(error).__name__} (message withheld: it shows the secret)"
    return text


def _answer(request: dict, options: dict) -> dict:
    kind = request.get("type")
    sign, verify = options.get("sign"), options.get("verify")
    if kind == "hello":
        capabilities = [name for name, f in (("sign", sign), ("verify", verify)) if f is not None]
        answer = {"type": "hello", "name": options.get("name", "ivconform-kit"), "version": options.get("version", "0"),
                  "language": options.get("language", "python"), "capabilities": capabilities,
                  "protocol": "ivconform/1"}
        if options.get("limits"):
            answer["limits"] = options["limits"]
        return answer
    if kind == "bye":
        return {"type": "bye"}
    if kind == "sign" and sign is not None:
        secret = bytes.fromhex(request["secret_hex"])
        try:
            absent = options.get("absent")
            result = sign(secret, request.get("user_id", absent), request.get("email", absent))
        except Exception as e:  # a crash of the signer is its answer, not the kit's
            return {"type": "error", "message": _describe(e, secret)}
        if result is None:
            return {"type": "sign", "user_hash": None}  # no hash produced
        if not isinstance(result, str):
            return {"type": "error", "message": f"sign returned {type(result).__name__}, not str or None"}
        if result.startswith("error:"):
            return {"type": "sign", "error": result[len("error:"):]}
        return {"type": "sign", "user_hash": result}
    if kind == "verify" and verify is not None:
        try:
            result = verify(request["config"], request["platform"], bytes.fromhex(request["payload_hex"]),
                            request.get("now"))
        except Exception as e:
            return {"type": "error", "message": _describe(e, None)}
        if not isinstance(result, dict):
            return {"type": "error", "message": f"verify returned {type(result).__name__}, not dict"}
        return {**result, "type": "verify"}
    return {"type": "error", "message": f"unsupported message type {str(kind)[:40]!r}"}


def handle(body: bytes, options: dict) -> dict:
    """One request (raw JSON bytes) -> its answer, with the request's seq. Never raises."""
    try:
        request = json.loads(body)
        if not isinstance(request, dict):
            raise ValueError("not an object")
    except ValueError:
        return {"type": "error", "seq": 0, "message": "the request is not a JSON object"}
    try:
        answer = _answer(request, options)
    except Exception as e:  # a malformed request (bad hex, missing field): never echo it, it holds secrets
        answer = {"type": "error", "message": f"cannot handle the request ({type(e).__name__})"}
    answer["seq"] = request.get("seq", 0)
    return answer


def _serve_stdio(options: dict) -> None:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the protocol keeps the real stdout ...
    os.dup2(2, 1)  # ... and everything else written to fd 1 (print, C libraries) goes to stderr
    sys.stdout = sys.stderr
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        answer = handle(line, options)
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
        if answer["type"] == "bye":
            return


def _serve_http(address: str, options: dict) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if self.path != "/" or not length.isdigit() or int(length) > MAX_REQUEST_BYTES:
                self.close_connection = True
                return self.reply(400, {"type": "error", "seq": 0, "message": "POST / with a Content-Length"})
            self.reply(200, handle(self.rfile.read(int(length)), options))

        def reply(self, status: int, answer: dict) -> None:
            body = json.dumps(answer).encode("ascii")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # no access log
            pass

    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    server_class = http.server.ThreadingHTTPServer
    if ":" in host:
        server_class = type("Server6", (server_class,), {"address_family": socket.AF_INET6})
    server = server_class((host, int(port)), Handler)
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"listening on http://{shown}:{bound_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve(sign=None, verify=None, *, name: str = "ivconform-kit", version: str = "0", language: str = "python",
          limits: dict | None = None, absent=None, argv: list[str] | None = None) -> None:
    """Run the protocol loop with these callbacks: over stdio, or over HTTP when argv has `--http HOST:PORT`.

    `limits` is declared in `hello` (docs/PROTOCOL.md): {"secret": "text"} when the API takes the secret only as
    text, {"identifier": "user_id"} (or "email") when it hashes one identifier the application chooses, and
    an optional "note" quoted in reports. `absent` is what `sign` gets for a key not sent (None, like null;
    pass ABSENT to tell the two apart). Over HTTP the callbacks run on several threads at once."""
    if sign is None and verify is None:
        raise ValueError("serve needs sign=, verify= or both")
    options = {"sign": sign, "verify": verify, "name": name, "version": version, "language": language,
               "limits": limits, "absent": absent}
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--http"] and len(args) == 2:
        _serve_http(args[1], options)
    elif not args:
        _serve_stdio(options)
    else:
        print(f"usage: {os.path.basename(sys.argv[0])} [--http HOST:PORT]", file=sys.stderr)
        sys.exit(2)

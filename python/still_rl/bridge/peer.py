"""A Python peer of the still-rl bridge: a DEALER that answers requests from the TS side and sends its own.

One I/O thread owns the socket (ZeroMQ sockets are not thread-safe): it receives, sends heartbeats, enforces
deadlines and writes what other threads queued. Handlers run on a worker pool, so heartbeats go on while a
``generate`` takes minutes; a cancelled or expired request is visible to its handler as ``ctx.cancelled``.

    peer = Peer(role="engine")               # endpoint, name and keys from STILL_BRIDGE_* (see config.py)

    @peer.handler("generate")
    def generate(payload, ctx):               # or def generate(payload) -> reply
        for step in ...:
            ctx.raise_if_cancelled()
        return {"tokens": np.array(...)}

    peer.run()                                # until the TS side says bye; raises ServerLost if it vanishes

    scores = peer.request("score", {"texts": [...]}, timeout=30.0)   # Python -> TS, from any thread
"""

from __future__ import annotations

import collections
import inspect
import itertools
import os
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import zmq
import zmq.utils.monitor

from .. import __version__
from . import config as _config
from .codec import decode_payload, decode_plain, encode_payload, encode_plain
from .errors import (
    BridgeError,
    Cancelled,
    ConnectError,
    DeadlineExceeded,
    RemoteError,
    ServerLost,
    VersionMismatchError,
)
from .lifeline import bind_to_parent
from .protocol import (
    KINDS,
    PROTOCOL_VERSION,
    Bye,
    Cancel,
    Envelope,
    ErrorBody,
    Hello,
    ProtocolError,
    Welcome,
    from_wire,
    to_wire,
)

Handler = Callable[..., Any]

_local = threading.local()


def current_call() -> "CallContext | None":
    """The request the calling thread is handling, for code deep inside a handler (e.g. a stopping criterion)."""
    return getattr(_local, "call", None)


_cancel_lock = threading.Lock()


class CallContext:
    """What a handler knows about its request."""

    __slots__ = ("id", "type", "deadline", "reason", "_cancelled", "_event")

    def __init__(self, id: str, type: str, deadline: float) -> None:
        self.id = id
        self.type = type
        #: ``time.monotonic()`` value after which the requester no longer waits.
        self.deadline = deadline
        self.reason = ""
        self._cancelled = False
        self._event: threading.Event | None = None

    @property
    def cancelled(self) -> threading.Event:
        """Set once the request is cancelled or expires. Made on first use: creating an Event costs more than
        a whole small request, and most handlers never wait on one."""
        with _cancel_lock:
            if self._event is None:
                self._event = threading.Event()
                if self._cancelled:
                    self._event.set()
            return self._event

    def cancel(self, reason: str) -> None:
        with _cancel_lock:
            self.reason = reason
            self._cancelled = True
            event = self._event
        if event is not None:
            event.set()

    def is_cancelled(self) -> bool:
        return self._cancelled

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def raise_if_cancelled(self) -> None:
        if self._cancelled:
            raise Cancelled(f"{self.type} {self.id}: {self.reason or 'cancelled'}")


@dataclass
class _Pending:
    future: Future
    type: str
    deadline: float


@dataclass
class _Registered:
    fn: Handler
    wants_ctx: bool
    inline: bool


class Peer:
    def __init__(
        self,
        endpoint: str | None = None,
        role: str | None = None,
        name: str | None = None,
        *,
        cfg: _config.PeerConfig | None = None,
        workers: int = 1,
        connect_timeout: float = 30.0,
    ) -> None:
        """Arguments not given come from STILL_BRIDGE_* (config.py). ``workers`` handlers run at once (1 keeps
        an engine's requests in order)."""
        self.config = cfg or _config.resolve(endpoint, role, name)
        self.connect_timeout = connect_timeout
        self._handlers: dict[str, _Registered] = {}
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._ctx = zmq.Context.instance()
        self._outbox: collections.deque[list[Any]] = collections.deque()
        self._wake_r, self._wake_w = os.pipe()
        self._wake_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._incoming: dict[str, CallContext] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._id_prefix = f"p{os.getpid():x}-"
        self._thread: threading.Thread | None = None
        self._io_ident: int | None = None
        self._welcomed = threading.Event()
        self._finished = threading.Event()
        self._welcome: Welcome | None = None
        self._failure: BridgeError | None = None
        self._stop = False
        self._hello_id = ""
        #: Messages from the TS side that failed validation (each got an error reply).
        self.malformed = 0
        if self.config.parent_pid is not None:
            bind_to_parent(self.config.parent_pid)

    # ---- public API ----

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def welcome(self) -> Welcome | None:
        return self._welcome

    def handler(self, type: str, fn: Handler | None = None, *, inline: bool = False) -> Any:
        """Register ``fn(payload)`` or ``fn(payload, ctx)`` for requests of ``type``; usable as a decorator.

        ``inline=True`` runs it on the I/O thread, saving two thread hand-offs (~100 us): only for handlers that
        return within microseconds, since nothing else (heartbeats included) moves while it runs.
        """

        def register(f: Handler) -> Handler:
            if self._thread is not None:
                raise RuntimeError("register handlers before start(): the hello lists them")
            if type in self._handlers:
                raise ValueError(f"a handler for {type!r} is already registered")
            params = [
                p
                for p in inspect.signature(f).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            self._handlers[type] = _Registered(f, len(params) >= 2, inline)
            return f

        return register(fn) if fn is not None else register

    def start(self) -> Welcome:
        """Connect and shake hands. Raises VersionMismatchError, or ConnectError when nobody answers."""
        if self._thread is not None:
            raise RuntimeError("peer already started")
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=f"bridge-{self.name}")
        self._thread = threading.Thread(target=self._io_main, name=f"bridge-io-{self.name}", daemon=True)
        self._thread.start()
        if not self._welcomed.wait(self.connect_timeout):
            failure = self._failure
            self._shutdown_io()
            if failure is not None:
                raise failure
            auth = " and that this peer has the right CURVE keys" if self.config.curve else ""
            raise ConnectError(
                f"{self.name}: no answer from {self.config.endpoint} within {self.connect_timeout:g} s; "
                f"check that the TS side is listening there{auth}"
            )
        if self._failure is not None:
            self._shutdown_io()
            raise self._failure
        assert self._welcome is not None
        return self._welcome

    def run(self) -> None:
        """Serve until the TS side says bye (returns) or is lost (raises ServerLost)."""
        if self._thread is None:
            self.start()
        self._finished.wait()
        self._shutdown_io()
        if self._failure is not None and not isinstance(self._failure, _Bye):
            raise self._failure

    def submit(self, type: str, payload: Any, *, timeout: float) -> Future:
        """Send a request to the TS side; the future resolves to the reply payload or raises a BridgeError."""
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        if not self._welcomed.is_set():
            raise RuntimeError("start() the peer before sending requests")
        future: Future = Future()
        rid = self._next_id()
        with self._lock:  # the same lock _fail takes, so a request cannot slip past a failing session
            if self._failure is not None:
                future.set_exception(self._failure)
                return future
            self._pending[rid] = _Pending(future, type, time.monotonic() + timeout)
        try:
            self._send("request", rid, type, payload, deadline=max(1, int(timeout * 1000)))
        except Exception:
            with self._lock:
                self._pending.pop(rid, None)
            raise
        return future

    def request(self, type: str, payload: Any, *, timeout: float) -> Any:
        """Blocking ``submit``; not from an inline handler (the I/O thread would wait on itself)."""
        if threading.get_ident() == self._io_ident:
            raise RuntimeError("request() from an inline handler would deadlock; register the handler without inline")
        return self.submit(type, payload, timeout=timeout).result()

    def close(self, reason: str = "closed by the peer") -> None:
        """Say bye and stop (idempotent)."""
        if self._thread is not None and self._failure is None and self._welcomed.is_set():
            self._send("bye", self._next_id(), "", to_wire(Bye(reason)))
            self._fail(_Bye(reason))
        self._shutdown_io()

    def __enter__(self) -> "Peer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- internals ----

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):x}"

    def _send(self, kind: str, rid: str, type: str, payload: Any, deadline: int = 0) -> None:
        """Queue a message for the I/O thread (callable from any thread)."""
        # The envelope's map literally (to_wire(Envelope(...)) costs more than the rest of a small message).
        envelope = encode_plain({"v": PROTOCOL_VERSION, "kind": kind, "id": rid, "type": type, "deadline": deadline})
        if kind in ("request", "reply"):
            body, buffers = encode_payload(payload)
        else:
            body, buffers = encode_plain(payload), []
        self._outbox.append([envelope, body, *buffers])
        if threading.get_ident() != self._io_ident:
            self._wake()

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_w >= 0:
                os.write(self._wake_w, b"x")

    def _fail(self, error: BridgeError) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = error
            pending = list(self._pending.values())
            self._pending.clear()
            incoming = list(self._incoming.values())
        for p in pending:
            if not p.future.done():
                p.future.set_exception(error)
        for ctx in incoming:
            ctx.cancel(str(error))
        self._finished.set()

    def _shutdown_io(self) -> None:
        self._stop = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._wake()
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._thread is None or not self._thread.is_alive():
            with self._wake_lock:
                if self._wake_w >= 0:
                    os.close(self._wake_r)
                    os.close(self._wake_w)
                    self._wake_r = self._wake_w = -1

    def _io_main(self) -> None:
        self._io_ident = threading.get_ident()
        sock = self._ctx.socket(zmq.DEALER)
        sock.linger = 500
        if "[" in self.config.endpoint:
            sock.ipv6 = True
        if self.config.curve:
            sock.curve_serverkey = self.config.server_key.encode()
            sock.curve_publickey = self.config.public_key.encode()
            sock.curve_secretkey = self.config.secret_key.encode()
        # Until the handshake, watch for the TS side refusing our CURVE keys, to say so instead of timing out.
        # The monitor must exist before connect(), or a fast refusal goes unseen.
        monitor = sock.get_monitor_socket(_HANDSHAKE_FAILED)
        try:
            sock.connect(self.config.endpoint)
            self._loop(sock, monitor)
        except Exception as e:  # the I/O thread must not die silently
            self._fail(BridgeError(f"{self.name}: bridge I/O thread failed: {e!r}", "closed"))
            self._welcomed.set()
            traceback.print_exc()
        finally:
            if not monitor.closed:
                sock.disable_monitor()
                monitor.close()
            sock.close()

    def _loop(self, sock: zmq.Socket, monitor: zmq.Socket | None) -> None:
        hello = Hello(self.config.role, self.name, os.getpid(), PROTOCOL_VERSION, __version__, sorted(self._handlers))
        self._hello_id = self._next_id()
        self._send("hello", self._hello_id, "", to_wire(hello))
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        poller.register(monitor, zmq.POLLIN)
        drops = 0
        last_recv = last_sent = last_expire = time.monotonic()
        while True:
            if self._flush(sock):
                last_sent = time.monotonic()
            if self._stop:
                return
            poller.modify(sock, zmq.POLLIN | zmq.POLLOUT if self._outbox else zmq.POLLIN)
            welcome = self._welcome
            interval = welcome.heartbeat / 1000 if welcome else 0.1
            events = dict(poller.poll(timeout=min(interval, 0.1) * 1000))
            if self._wake_r in events:
                os.read(self._wake_r, 65536)
            if monitor is not None and monitor in events and not self._welcomed.is_set():
                event = zmq.utils.monitor.recv_monitor_message(monitor)["event"]
                # A refused mechanism sometimes shows only as the connection dropping during the handshake.
                drops += event == zmq.EVENT_DISCONNECTED
                if event != zmq.EVENT_DISCONNECTED or drops >= 3:
                    self._fail(ConnectError(_handshake_failure(self.name, self.config, event)))
                    self._welcomed.set()
            if monitor is not None and self._welcomed.is_set():
                poller.unregister(monitor)
                sock.disable_monitor()
                monitor.close()
                monitor = None
            if events.get(sock, 0) & zmq.POLLIN:
                while sock.get(zmq.EVENTS) & zmq.POLLIN:
                    frames = sock.recv_multipart(copy=False)
                    self._on_message(frames)
                    # Reply before the received frames are released: freeing a large one takes milliseconds.
                    if self._flush(sock):
                        last_sent = time.monotonic()
                    del frames
                last_recv = time.monotonic()
            now = time.monotonic()
            if welcome is None or self._failure is not None:
                continue
            if now - last_sent >= interval:
                self._send("heartbeat", self._next_id(), "", {})
            if now - last_recv > welcome.timeout / 1000:
                self._fail(ServerLost(f"{self.name}: the TS side sent nothing for {now - last_recv:.1f} s"))
            # Deadlines are checked every few ms, not on every message: a scan per message is a tenth of a small
            # round trip.
            if now - last_expire >= _EXPIRE_EVERY:
                last_expire = now
                self._expire(now)

    def _flush(self, sock: zmq.Socket) -> bool:
        """Send what is queued without blocking (with no connection a DEALER send would wait forever); what
        cannot go now stays queued. Returns whether anything was sent."""
        sent = False
        while self._outbox:
            try:
                sock.send_multipart(self._outbox[0], flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            self._outbox.popleft()
            sent = True
        return sent

    def _expire(self, now: float) -> None:
        with self._lock:
            expired = [(rid, p) for rid, p in self._pending.items() if now > p.deadline]
            for rid, _ in expired:
                del self._pending[rid]
            late = [ctx for ctx in self._incoming.values() if now > ctx.deadline and not ctx.is_cancelled()]
        for rid, p in expired:
            self._send("cancel", rid, p.type, to_wire(Cancel("deadline passed")))
            p.future.set_exception(DeadlineExceeded(f"{self.name}: {p.type} got no reply before its deadline"))
        for ctx in late:
            ctx.cancel("deadline passed")

    def _protocol_error(self, message: str, rid: str = "-", type: str = "") -> None:
        self.malformed += 1
        self._send("error", rid, type, to_wire(ErrorBody("bad_message", message, "")))

    def _on_message(self, frames: list[zmq.Frame]) -> None:
        if len(frames) < 2:
            self._protocol_error(f"expected at least 2 frames, got {len(frames)}")
            return
        try:
            env = _envelope(decode_plain(frames[0].bytes))
        except (ProtocolError, ValueError, TypeError) as e:
            self._protocol_error(f"invalid envelope: {e}")
            return
        if env.v != PROTOCOL_VERSION:
            self._fail(VersionMismatchError(f"{self.name}: the TS side speaks protocol {env.v}, this peer {PROTOCOL_VERSION}"))
            self._welcomed.set()
            return
        kind = env.kind
        if self._welcome is None:
            if kind == "welcome":
                self._on_welcome(env, frames)
            elif kind == "error" and env.id == self._hello_id:
                body = self._control(env, frames, ErrorBody)
                if body is not None:
                    cls = VersionMismatchError if body.code == "version_mismatch" else ConnectError
                    self._fail(cls(f"{self.name}: the TS side refused the handshake: {body.message}"))
                    self._welcomed.set()
            return
        if kind == "request":
            self._on_request(env, frames)
        elif kind in ("reply", "error"):
            self._on_reply(env, frames)
        elif kind == "cancel":
            body = self._control(env, frames, Cancel)
            with self._lock:
                ctx = self._incoming.get(env.id)
            if body is not None and ctx is not None:
                ctx.cancel(body.reason)
        elif kind == "bye":
            body = self._control(env, frames, Bye)
            self._fail(_Bye(f"{self.name}: the TS side ended the session: {body.reason if body else 'bye'}"))
        elif kind == "heartbeat":
            pass
        else:
            self._protocol_error(f"unexpected {kind}", env.id, env.type)

    def _control(self, env: Envelope, frames: list[zmq.Frame], cls: type) -> Any:
        try:
            return from_wire(cls, decode_plain(frames[1].bytes))
        except (ProtocolError, ValueError, TypeError) as e:
            self._protocol_error(f"invalid {env.kind} payload: {e}", env.id, env.type)
            return None

    def _on_welcome(self, env: Envelope, frames: list[zmq.Frame]) -> None:
        welcome = self._control(env, frames, Welcome)
        if welcome is None:
            return
        if welcome.protocol != PROTOCOL_VERSION or welcome.package != __version__:
            self._fail(
                VersionMismatchError(
                    f"{self.name}: version mismatch: the TS side runs protocol {welcome.protocol}, still-rl "
                    f"{welcome.package}; this peer runs protocol {PROTOCOL_VERSION}, still_rl {__version__}"
                )
            )
        else:
            self._welcome = welcome
        self._welcomed.set()

    def _on_request(self, env: Envelope, frames: list[zmq.Frame]) -> None:
        if env.deadline <= 0:
            self._protocol_error("a request needs a positive deadline", env.id, env.type)
            return
        try:
            payload = decode_payload(frames[1].buffer, [f.buffer for f in frames[2:]])
        except Exception as e:
            self._protocol_error(f"request payload: {e}", env.id, env.type)
            return
        registered = self._handlers.get(env.type)
        if registered is None:
            known = ", ".join(sorted(self._handlers)) or "none"
            body = ErrorBody("unknown_type", f"{self.name} has no handler for {env.type!r} (it has: {known})", "")
            self._send("error", env.id, env.type, to_wire(body))
            return
        ctx = CallContext(env.id, env.type, time.monotonic() + env.deadline / 1000)
        with self._lock:
            self._incoming[env.id] = ctx
        if registered.inline:
            self._run_handler(registered, payload, ctx)
            return
        assert self._pool is not None
        self._pool.submit(self._run_handler, registered, payload, ctx)

    def _run_handler(self, registered: _Registered, payload: Any, ctx: CallContext) -> None:
        _local.call = ctx
        try:
            if ctx.is_cancelled():
                return
            result = registered.fn(payload, ctx) if registered.wants_ctx else registered.fn(payload)
            if not ctx.is_cancelled():
                try:
                    self._send("reply", ctx.id, ctx.type, result)
                except Exception as e:
                    msg = f"{self.name}: the reply to {ctx.type} cannot be encoded: {e}"
                    self._send("error", ctx.id, ctx.type, to_wire(ErrorBody("handler_error", msg, "")))
        except Cancelled:
            pass
        except Exception as e:
            if not ctx.is_cancelled():
                body = ErrorBody("handler_error", f"{type(e).__name__}: {e}", traceback.format_exc()[-65536:])
                self._send("error", ctx.id, ctx.type, to_wire(body))
        finally:
            _local.call = None
            with self._lock:
                self._incoming.pop(ctx.id, None)

    def _on_reply(self, env: Envelope, frames: list[zmq.Frame]) -> None:
        with self._lock:
            pending = self._pending.pop(env.id, None)
        if env.kind == "error":
            body = self._control(env, frames, ErrorBody)
            if pending is None or body is None:
                return
            pending.future.set_exception(RemoteError(f"{pending.type} failed on the TS side: {body.message}", body.code, body.detail))
            return
        if pending is None:
            return
        try:
            payload = decode_payload(frames[1].buffer, [f.buffer for f in frames[2:]])
        except Exception as e:
            self._protocol_error(f"reply payload: {e}", env.id, env.type)
            pending.future.set_exception(BridgeError(f"malformed reply to {pending.type}: {e}", "bad_message"))
            return
        pending.future.set_result(payload)


_KINDS = frozenset(KINDS)
_EXPIRE_EVERY = 0.005


def _envelope(raw: Any) -> Envelope:
    """``from_wire(Envelope, raw)`` with a fast path for the well-formed envelope of every message; anything
    else goes through from_wire, which says what is wrong."""
    if (
        type(raw) is dict
        and len(raw) == 5
        and type(raw.get("v")) is int
        and raw.get("kind") in _KINDS
        and type(raw.get("id")) is str
        and type(raw.get("type")) is str
        and type(raw.get("deadline")) is int
    ):
        return Envelope(raw["v"], raw["kind"], raw["id"], raw["type"], raw["deadline"])
    return from_wire(Envelope, raw)


_HANDSHAKE_FAILED = (
    zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_DISCONNECTED
)


def _handshake_failure(name: str, cfg: _config.PeerConfig, event: int) -> str:
    if cfg.curve:
        why = "refused this peer's CURVE keys" if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH else "failed the CURVE handshake"
        return f"{name}: the TS side at {cfg.endpoint} {why}; this run's keys come from STILL_BRIDGE_*_KEY"
    return (
        f"{name}: the ZeroMQ handshake with {cfg.endpoint} failed: the TS side requires authentication; "
        "set STILL_BRIDGE_SERVER_KEY, STILL_BRIDGE_PUBLIC_KEY and STILL_BRIDGE_SECRET_KEY"
    )


class _Bye(ServerLost):
    """The TS side (or this peer) ended the session in order."""
